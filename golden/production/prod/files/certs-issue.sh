#!/bin/sh
# Issues what is missing of a kafkac cluster's certificates, with keytool and openssl.
#
# Second step of the certificates Job, in the Kafka image (its JRE's keytool,
# and openssl for the PEM keys).
# certs-fetch.sh left the Secrets that already exist in $KAFKAC_WORK_DIR/existing/
# (<secret>/data/<key>, <secret>/resourceVersion, <secret>/force-renew); this
# script writes what certs-store.sh must create or update into
# $KAFKAC_WORK_DIR/new/ (<secret>/data/<key>, <secret>/action: create or
# replace, and `order`, the Secrets in the order they must be written).
#
#   cluster CA     a 2048-bit RSA key and a self-signed CA certificate,
#                  CN=cluster-ca v0, O=io.strimzi. Created only when neither
#                  of its Secrets exists; its key is never replaced. Its
#                  certificate is renewed, for the same key, within renewalDays
#                  of its end or on the annotation kafkac.io/force-renew=true of
#                  its certificate Secret. With $KAFKAC_CLUSTER_CA_GENERATE false
#                  the CA is the user's: read from its two Secrets, never written.
#   clients CA     the same, CN=clients-ca v0, O=io.strimzi, in its own two
#                  Secrets ($KAFKAC_CLIENTS_CA_GENERATE); it signs the
#                  KafkaUsers' certificates.
#   node           one key and certificate for every Kafka node, signed by the
#                  cluster CA, subject $KAFKAC_NODE_SUBJECT, for every name in
#                  $KAFKAC_DNS_NAMES in the four forms a name has inside the
#                  cluster (name, name.<ns>, name.<ns>.svc,
#                  name.<ns>.svc.<cluster domain>), and every name in
#                  $KAFKAC_EXTERNAL_DNS_NAMES and address in
#                  $KAFKAC_EXTERNAL_IP_ADDRESSES as it is. Issued anew only when it is
#                  absent, not signed by the current CA, does not cover every
#                  one of those names, expires within $KAFKAC_RENEWAL_DAYS days,
#                  or its Secret carries the annotation kafkac.io/force-renew=true,
#                  and after the cluster CA certificate was renewed.
#
# A run over Secrets that are all current writes nothing at all, so running the
# Job again, or rendering the chart again, never rotates anything. Every input
# is an environment variable or a file; values are used as data, never evaluated.
set -eu
set -f # the names include wildcards (*.<service>): never expand them as file patterns

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}" "${KAFKAC_CLUSTER_DOMAIN:?}"
: "${KAFKAC_CLUSTER_CA_CERT_SECRET:?}" "${KAFKAC_CLUSTER_CA_SECRET:?}" "${KAFKAC_NODE_CERT_SECRET:?}"
: "${KAFKAC_CA_SUBJECT:?}" "${KAFKAC_NODE_SUBJECT:?}" "${KAFKAC_DNS_NAMES:?}"
: "${KAFKAC_VALIDITY_DAYS:?}" "${KAFKAC_RENEWAL_DAYS:?}"
: "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}" "${KAFKAC_CLIENTS_CA_SECRET:?}" "${KAFKAC_CLIENTS_CA_SUBJECT:?}"
: "${KAFKAC_CLIENTS_CA_VALIDITY_DAYS:?}" "${KAFKAC_CLIENTS_CA_RENEWAL_DAYS:?}"
: "${KAFKAC_CLUSTER_CA_GENERATE:?}" "${KAFKAC_CLIENTS_CA_GENERATE:?}"

existing=$KAFKAC_WORK_DIR/existing
new=$KAFKAC_WORK_DIR/new
scratch=$KAFKAC_WORK_DIR/scratch
umask 077
rm -rf "$new" "$scratch"
mkdir -p "$new" "$scratch"
: > "$new/order"

log() { echo "certificates: $*"; }
fail() { echo "certificates: error: $*" >&2; exit 1; }

for generate in "$KAFKAC_CLUSTER_CA_GENERATE" "$KAFKAC_CLIENTS_CA_GENERATE"; do
  case $generate in
    true|false) ;;
    *) fail "KAFKAC_CLUSTER_CA_GENERATE and KAFKAC_CLIENTS_CA_GENERATE must be true or false" ;;
  esac
done
case $KAFKAC_VALIDITY_DAYS$KAFKAC_RENEWAL_DAYS$KAFKAC_CLIENTS_CA_VALIDITY_DAYS$KAFKAC_CLIENTS_CA_RENEWAL_DAYS in
  *[!0-9]*) fail "the validity and renewal days must be whole numbers of days" ;;
esac

# keytool, in English and UTC whatever the image's locale, so that its output
# reads the same everywhere. Its chatter goes to the log only when it fails.
keytool_quiet() {
  if ! output=$(keytool -J-Duser.language=en -J-Duser.country=US -J-Duser.timezone=UTC "$@" 2>&1); then
    echo "$output" >&2
    fail "keytool $1 failed"
  fi
}
printcert() { # PEM file
  keytool -J-Duser.language=en -J-Duser.country=US -J-Duser.timezone=UTC -printcert -file "$1"
}
fingerprint() { # printcert output on stdin
  sed -n 's/^[[:space:]]*SHA256: //p' | head -n 1
}
# A certificate in PEM with plain line ends (some keytool versions write CRLF).
export_pem() { # key store, its password, alias, file
  keytool_quiet -exportcert -rfc -alias "$3" -keystore "$1" -storetype PKCS12 -storepass "$2" \
    -file "$4.export"
  tr -d '\r' < "$4.export" > "$4"
  rm -f "$4.export"
}

# A key store's private key as unencrypted PKCS#8 PEM, as Strimzi writes ca.key
# and user.key. The password reaches openssl through its environment, never argv.
export_key() { # key store, its password, file
  if ! output=$(KAFKAC_STORE_PASSWORD=$2 openssl pkcs12 -in "$1" -nocerts -nodes \
        -passin env:KAFKAC_STORE_PASSWORD -out "$3.bag" 2>&1) ||
     ! output=$(openssl pkey -in "$3.bag" -out "$3" 2>&1); then
    rm -f "$3.bag"
    echo "$output" >&2
    fail "openssl cannot read the private key of a key store"
  fi
  rm -f "$3.bag"
}

new_password() {
  tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32
}

# Seconds since the epoch of a certificate's end of validity, from keytool's
# "Valid from: <date> until: Tue Sep 21 09:23:50 UTC 2027" (Date.toString in UTC).
not_after() { # printcert output on stdin
  sed -n 's/^Valid from: .* until: //p' | head -n 1 | awk '
    {
      split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ")
      for (i = 1; i <= 12; i++) if (names[i] == $2) month = i
      split($4, hms, ":"); day = $3; year = $6
      if (!month || $5 != "UTC") exit 1
      # Days since 1970-01-01 of a proleptic Gregorian date.
      y = year - (month <= 2); era = int(y / 400); yoe = y - era * 400
      doy = int((153 * ((month + 9) % 12) + 2) / 5) + day - 1
      doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
      printf "%d\n", (era * 146097 + doe - 719468) * 86400 + hms[1] * 3600 + hms[2] * 60 + hms[3]
    }'
}

# The hex digits of a key identifier extension (AuthorityKeyIdentifier or
# SubjectKeyIdentifier) in printcert output; keytool prints the bytes as a hex
# dump whose byte columns are characters 7 to 55 of each line.
key_identifier() { # extension name; printcert output on stdin
  awk -v name="$1" '
    $0 == name " [" { inside = 1; next }
    inside && /^[0-9A-F][0-9A-F][0-9A-F][0-9A-F]: / { id = id substr($0, 7, 49); next }
    inside && /^\]/ { inside = 0 }
    END { gsub(/[^0-9A-F]/, "", id); print id }'
}

utc_date() { # seconds since the epoch
  date -u -d "@$1" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo "$1 (seconds since 1970)"
}

require_keys() { # secret, then keys
  secret=$1; shift
  for key in "$@"; do
    [ -s "$existing/$secret/data/$key" ] || fail "Secret $secret exists but has no key $key"
  done
}

# Each name in the four forms it has inside the cluster.
required_names=""
for name in $KAFKAC_DNS_NAMES; do
  case $name in
    ''|*[!a-z0-9.*-]*) fail "$name is not a DNS name" ;;
  esac
  for full in "$name" "$name.$KAFKAC_NAMESPACE" "$name.$KAFKAC_NAMESPACE.svc" \
      "$name.$KAFKAC_NAMESPACE.svc.$KAFKAC_CLUSTER_DOMAIN"; do
    required_names="$required_names $full"
  done
done

# Addresses of external listeners, as clients outside the cluster reach them.
for name in ${KAFKAC_EXTERNAL_DNS_NAMES:-}; do
  case $name in
    ''|*[!a-z0-9.-]*) fail "$name is not a DNS name" ;;
  esac
  required_names="$required_names $name"
done
required_ips=""
for ip in ${KAFKAC_EXTERNAL_IP_ADDRESSES:-}; do
  case $ip in
    ''|*[!0-9a-fA-F.:]*) fail "$ip is not an IP address" ;;
  esac
  required_ips="$required_ips $ip"
done

now=$(date -u +%s)
renewal_seconds=$((KAFKAC_RENEWAL_DAYS * 86400))

# ---------------------------------------------------------------- the CAs
# A CA kafkac generates has a key Secret (ca.key, ca.p12, ca.password) and a
# certificate Secret for clients (ca.crt, ca.p12 trust store, ca.password). It
# is created only when neither Secret exists, and its key is never replaced.
# Its certificate is renewed for the same key, subject and key identifier when
# it expires within renewalDays (or has expired), or when its certificate
# Secret carries the annotation kafkac.io/force-renew=true: what the old one
# signed verifies against the new one, and clients that still trust the old
# one trust what the new one signs until the old one expires.
#
# A CA the user provides (generateCertificateAuthority: false) is Strimzi's
# contract: ca.crt in the certificate Secret, ca.key (PEM) in the key Secret.
# kafkac never writes either; keytool signs with a key store made of them in
# scratch memory, and renewing them is the user's.
#
# ensure_ca sets ca_store, ca_password, ca_created, ca_renewed, ca_until and
# ca_id, and leaves the CA certificate in $scratch/<prefix>-ca.crt.

# The key store of a provided CA, made from its ca.key and ca.crt.
load_provided_ca() { # what, prefix, key Secret, certificate Secret, spec field
  missing=""
  [ -s "$existing/$4/data/ca.crt" ] || missing="$missing Secret $4 with the key ca.crt (the CA certificate, PEM);"
  [ -s "$existing/$3/data/ca.key" ] || missing="$missing Secret $3 with the key ca.key (its private key, PEM);"
  [ -z "$missing" ] || fail "spec.$5.generateCertificateAuthority is false, so the $1 is yours and kafkac" \
    "creates neither of its Secrets. Missing:$missing see the README, section Certificates."
  ca_store=$scratch/$2-ca.p12
  ca_password=$(new_password)
  if ! output=$(KAFKAC_STORE_PASSWORD=$ca_password openssl pkcs12 -export -name ca \
        -in "$existing/$4/data/ca.crt" -inkey "$existing/$3/data/ca.key" -passin pass: \
        -out "$ca_store" -passout env:KAFKAC_STORE_PASSWORD 2>&1 < /dev/null); then
    echo "$output" >&2
    fail "openssl cannot make a key store of ca.key of Secret $3 and ca.crt of Secret $4:" \
      "ca.key must be the unencrypted PEM private key of the certificate in ca.crt"
  fi
}

# Sets ca_until, ca_id and ca_fingerprint from the CA certificate.
read_ca_certificate() { # what, PEM file
  ca_info=$(printcert "$2")
  ca_until=$(echo "$ca_info" | not_after) || fail "cannot read the $1 certificate's validity"
  ca_id=$(echo "$ca_info" | key_identifier SubjectKeyIdentifier)
  ca_fingerprint=$(echo "$ca_info" | fingerprint)
  [ -n "$ca_fingerprint" ] || fail "cannot read the $1 certificate"
  [ -n "$ca_id" ] || fail "the $1 certificate has no SubjectKeyIdentifier extension, which kafkac" \
    "needs to tell the certificates it signed"
}

# A new self-signed certificate for the CA's key, with the subject of the
# current one (keytool takes it from the key store), in place of the current
# one in the key store.
renew_ca_certificate() { # prefix, key store, its password, validity days
  keytool_quiet -certreq -alias ca -keystore "$2" -storetype PKCS12 -storepass "$3" \
    -file "$scratch/$1-ca.csr"
  keytool_quiet -gencert -alias ca -keystore "$2" -storetype PKCS12 -storepass "$3" \
    -infile "$scratch/$1-ca.csr" -outfile "$scratch/$1-ca.renewed" -rfc -startdate -1H -validity "$4" \
    -ext BC:c=ca:true -ext KU:c=keyCertSign,cRLSign
  keytool_quiet -importcert -noprompt -alias ca -file "$scratch/$1-ca.renewed" \
    -keystore "$2" -storetype PKCS12 -storepass "$3"
}

# A Secret to write, created when absent, else replaced at the resourceVersion read.
stage_secret() { # Secret
  mkdir -p "$new/$1/data"
  if [ -d "$existing/$1" ]; then
    echo replace > "$new/$1/action"
    cp "$existing/$1/resourceVersion" "$new/$1/resourceVersion"
  else
    echo create > "$new/$1/action"
  fi
  echo "$1" >> "$new/order"
}

ensure_ca() { # what (for the log), prefix, key Secret, certificate Secret, subject, validity days, renewal days, generate (true or false), spec field
  what=$1; prefix=$2; ca_secret=$3; ca_cert_secret=$4; subject=$5; validity=$6; renewal=$7; generate=$8; field=$9
  ca_crt=$scratch/$prefix-ca.crt
  ca_created=false
  ca_renewed=false
  write_key_secret=false
  if [ "$generate" = false ]; then
    load_provided_ca "$what" "$prefix" "$ca_secret" "$ca_cert_secret" "$field"
    export_pem "$ca_store" "$ca_password" ca "$ca_crt"
    log "$what: yours (spec.$field.generateCertificateAuthority: false), from Secrets $ca_secret and $ca_cert_secret"
  elif [ -d "$existing/$ca_secret" ]; then
    require_keys "$ca_secret" ca.p12 ca.password
    ca_store=$scratch/$prefix-ca.p12
    cp "$existing/$ca_secret/data/ca.p12" "$ca_store"
    ca_password=$(cat "$existing/$ca_secret/data/ca.password")
    export_pem "$ca_store" "$ca_password" ca "$ca_crt"
    # A CA made by an older chart has no ca.key yet.
    [ -s "$existing/$ca_secret/data/ca.key" ] || write_key_secret=true
    log "$what: kept (Secret $ca_secret exists)"
  elif [ -d "$existing/$ca_cert_secret" ]; then
    fail "Secret $ca_cert_secret exists but $ca_secret, which holds the CA's private key, does not." \
      "kafkac never replaces a CA certificate that clients may trust. Restore $ca_secret from a" \
      "backup, or delete $ca_cert_secret to have a new $what generated (every client must" \
      "then trust the new ca.crt)."
  else
    ca_store=$scratch/$prefix-ca.p12
    ca_password=$(new_password)
    keytool_quiet -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname "$subject" \
      -ext BC:c=ca:true -ext KU:c=keyCertSign,cRLSign -startdate -1H -validity "$validity" \
      -keystore "$ca_store" -storetype PKCS12 -storepass "$ca_password"
    export_pem "$ca_store" "$ca_password" ca "$ca_crt"
    ca_created=true
    write_key_secret=true
    log "$what: created a new CA ($subject), Secret $ca_secret"
  fi
  read_ca_certificate "$what" "$ca_crt"

  if [ "$generate" = false ]; then
    [ "$ca_until" -gt "$now" ] || fail "the $what certificate expired on $(utc_date "$ca_until")." \
      "It is yours to renew: put the new one in Secret $ca_cert_secret (and its key in $ca_secret)."
    if [ $((ca_until - now)) -le $((renewal * 86400)) ]; then
      log "WARNING: the $what certificate expires on $(utc_date "$ca_until"), within renewalDays" \
        "($renewal). It is yours to renew: put the new one in Secret $ca_cert_secret."
    fi
    return
  fi

  renewal_reason=""
  if [ "$ca_created" = true ]; then
    :
  elif [ -e "$existing/$ca_cert_secret/force-renew" ]; then
    renewal_reason="Secret $ca_cert_secret has the annotation kafkac.io/force-renew=true"
  elif [ "$ca_until" -le "$now" ]; then
    renewal_reason="it expired on $(utc_date "$ca_until")"
  elif [ $((ca_until - now)) -le $((renewal * 86400)) ]; then
    renewal_reason="it expires on $(utc_date "$ca_until"), within renewalDays ($renewal)"
  fi
  if [ -n "$renewal_reason" ]; then
    old_id=$ca_id
    renew_ca_certificate "$prefix" "$ca_store" "$ca_password" "$validity"
    export_pem "$ca_store" "$ca_password" ca "$ca_crt"
    read_ca_certificate "$what" "$ca_crt"
    [ "$ca_id" = "$old_id" ] || fail "the renewed $what certificate has another key identifier"
    ca_renewed=true
    write_key_secret=true
    log "$what: renewed its certificate for the same key, because $renewal_reason;" \
      "valid until $(utc_date "$ca_until")"
  fi

  if [ "$write_key_secret" = true ]; then
    stage_secret "$ca_secret"
    cp "$ca_store" "$new/$ca_secret/data/ca.p12"
    printf '%s' "$ca_password" > "$new/$ca_secret/data/ca.password"
    export_key "$ca_store" "$ca_password" "$new/$ca_secret/data/ca.key"
    [ "$ca_created" = true ] || log "$what: updating Secret $ca_secret (ca.key, ca.p12, ca.password)"
  fi

  truststore_password=""
  if [ -d "$existing/$ca_cert_secret" ]; then
    require_keys "$ca_cert_secret" ca.crt
    published=$(printcert "$existing/$ca_cert_secret/data/ca.crt" | fingerprint) || true
    if [ "$published" = "$ca_fingerprint" ]; then
      log "$what certificate: kept (Secret $ca_cert_secret exists)"
      return
    fi
    published_key=$(openssl x509 -noout -pubkey -in "$existing/$ca_cert_secret/data/ca.crt" 2>/dev/null) || true
    if [ "$published_key" != "$(openssl x509 -noout -pubkey -in "$ca_crt")" ]; then
      fail "ca.crt in Secret $ca_cert_secret is not a certificate of the CA key in Secret $ca_secret." \
        "kafkac replaces neither; restore the pair from a backup."
    fi
    # An earlier certificate of the same key: a renewal, or one whose write failed midway.
    ca_renewed=true
    if [ -s "$existing/$ca_cert_secret/data/ca.password" ]; then
      truststore_password=$(cat "$existing/$ca_cert_secret/data/ca.password")
    fi
  fi
  # The certificate for clients: PEM, and a PKCS#12 trust store with its password.
  [ -n "$truststore_password" ] || truststore_password=$(new_password)
  keytool_quiet -importcert -noprompt -alias ca.crt -file "$ca_crt" \
    -keystore "$scratch/$prefix-truststore.p12" -storetype PKCS12 -storepass "$truststore_password"
  stage_secret "$ca_cert_secret"
  cp "$ca_crt" "$new/$ca_cert_secret/data/ca.crt"
  cp "$scratch/$prefix-truststore.p12" "$new/$ca_cert_secret/data/ca.p12"
  printf '%s' "$truststore_password" > "$new/$ca_cert_secret/data/ca.password"
  if [ -d "$existing/$ca_cert_secret" ]; then
    log "$what certificate: updating Secret $ca_cert_secret with the renewed certificate (ca.crt, ca.p12)"
  else
    log "$what certificate: created Secret $ca_cert_secret (ca.crt, ca.p12, ca.password)"
  fi
}

ensure_ca "cluster CA" cluster "$KAFKAC_CLUSTER_CA_SECRET" "$KAFKAC_CLUSTER_CA_CERT_SECRET" \
  "$KAFKAC_CA_SUBJECT" "$KAFKAC_VALIDITY_DAYS" "$KAFKAC_RENEWAL_DAYS" "$KAFKAC_CLUSTER_CA_GENERATE" clusterCa

# ----------------------------------------------------------------- node
node_secret=$KAFKAC_NODE_CERT_SECRET
reason=""
if [ "$ca_created" = true ]; then
  reason="the cluster CA is new"
elif [ "$ca_renewed" = true ]; then
  reason="the cluster CA certificate was renewed"
elif [ ! -d "$existing/$node_secret" ]; then
  reason="Secret $node_secret does not exist"
elif [ -e "$existing/$node_secret/force-renew" ]; then
  reason="Secret $node_secret has the annotation kafkac.io/force-renew=true"
else
  for key in node.crt node.p12 node.password; do
    if [ ! -s "$existing/$node_secret/data/$key" ] && [ -z "$reason" ]; then
      reason="Secret $node_secret has no key $key"
    fi
  done
fi
if [ -z "$reason" ]; then
  node_info=$(printcert "$existing/$node_secret/data/node.crt") || fail "cannot read node.crt of Secret $node_secret"
  node_until=$(echo "$node_info" | not_after) || fail "cannot read the node certificate's validity"
  present=$(echo "$node_info" | sed -n 's/^ *DNSName: //p')
  missing=""
  for name in $required_names; do
    if ! echo "$present" | grep -qxF "$name"; then missing="$missing $name"; fi
  done
  present_ips=$(echo "$node_info" | sed -n 's/^ *IPAddress: //p')
  for ip in $required_ips; do
    if ! echo "$present_ips" | grep -qxF "$ip"; then missing="$missing $ip"; fi
  done
  if [ "$(echo "$node_info" | key_identifier AuthorityKeyIdentifier)" != "$ca_id" ]; then
    reason="its certificate is not signed by the cluster CA"
  elif [ -n "$missing" ]; then
    reason="its certificate does not cover these names:$missing"
  elif [ $((node_until - now)) -le "$renewal_seconds" ]; then
    if [ "$ca_until" -gt $((node_until + 86400)) ]; then
      reason="its certificate expires on $(utc_date "$node_until"), within renewalDays ($KAFKAC_RENEWAL_DAYS)"
    else
      log "WARNING: the node certificate expires on $(utc_date "$node_until") and cannot be renewed" \
        "past the cluster CA certificate, which expires on $(utc_date "$ca_until")"
    fi
  fi
fi

if [ -z "$reason" ]; then
  log "node certificate: kept (Secret $node_secret is current, valid until $(utc_date "$node_until"))"
else
  # Never valid longer than the CA that signs it (both start an hour back, for
  # clocks that are a little behind).
  days=$KAFKAC_VALIDITY_DAYS
  ca_days=$(((ca_until - now + 7200) / 86400))
  [ "$ca_days" -ge "$days" ] || days=$ca_days
  [ "$days" -ge 1 ] || fail "the cluster CA expires in less than a day; cannot issue a node certificate"
  sans=""
  for name in $required_names; do sans="${sans:+$sans,}dns:$name"; done
  for ip in $required_ips; do sans="$sans,ip:$ip"; done
  node_password=$(new_password)
  node_store=$scratch/node.p12
  keytool_quiet -genkeypair -alias node -keyalg RSA -keysize 2048 -dname "$KAFKAC_NODE_SUBJECT" \
    -keystore "$node_store" -storetype PKCS12 -storepass "$node_password"
  keytool_quiet -certreq -alias node -keystore "$node_store" -storetype PKCS12 \
    -storepass "$node_password" -file "$scratch/node.csr"
  keytool_quiet -gencert -alias ca -keystore "$ca_store" -storetype PKCS12 -storepass "$ca_password" \
    -infile "$scratch/node.csr" -outfile "$scratch/node.crt.export" -rfc -startdate -1H -validity "$days" \
    -ext "SAN=$sans" -ext KU:c=digitalSignature,keyEncipherment -ext EKU=serverAuth,clientAuth
  tr -d '\r' < "$scratch/node.crt.export" > "$scratch/node.crt"
  # Install the signed certificate with its chain (node, CA) under the key.
  keytool_quiet -importcert -noprompt -alias ca -file "$scratch/cluster-ca.crt" \
    -keystore "$node_store" -storetype PKCS12 -storepass "$node_password"
  keytool_quiet -importcert -noprompt -alias node -file "$scratch/node.crt" \
    -keystore "$node_store" -storetype PKCS12 -storepass "$node_password"
  keytool_quiet -delete -alias ca -keystore "$node_store" -storetype PKCS12 -storepass "$node_password"
  mkdir -p "$new/$node_secret/data"
  cp "$node_store" "$new/$node_secret/data/node.p12"
  cp "$scratch/node.crt" "$new/$node_secret/data/node.crt"
  printf '%s' "$node_password" > "$new/$node_secret/data/node.password"
  if [ -d "$existing/$node_secret" ]; then
    echo replace > "$new/$node_secret/action"
    cp "$existing/$node_secret/resourceVersion" "$new/$node_secret/resourceVersion"
    log "node certificate: re-issuing it with the existing cluster CA, because $reason"
  else
    echo create > "$new/$node_secret/action"
    log "node certificate: issuing it, because $reason"
  fi
  echo "$node_secret" >> "$new/order"
  log "node certificate: $KAFKAC_NODE_SUBJECT, valid $days days, for:$required_names"
fi

# The clients CA signs nothing here: KafkaUsers' certificates are issued by the
# users Job. The brokers trust it on listeners with `authentication: tls`.
ensure_ca "clients CA" clients "$KAFKAC_CLIENTS_CA_SECRET" "$KAFKAC_CLIENTS_CA_CERT_SECRET" \
  "$KAFKAC_CLIENTS_CA_SUBJECT" "$KAFKAC_CLIENTS_CA_VALIDITY_DAYS" "$KAFKAC_CLIENTS_CA_RENEWAL_DAYS" \
  "$KAFKAC_CLIENTS_CA_GENERATE" clientsCa
rm -rf "$scratch"
