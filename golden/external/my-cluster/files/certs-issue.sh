#!/bin/sh
# Issues what is missing of a kafkac cluster's certificates, with keytool and openssl.
#
# Second step of the certificates Job, in Strimzi's Kafka image (keytool, and
# openssl for the PEM keys).
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
#                  $KAFKAC_EXTERNAL_IP_ADDRESSES as it is, and the addresses
#                  certs-fetch.sh found on the listeners' load balancer
#                  Services and Routes. Issued anew only when it is
#                  absent, not signed by the current CA, does not cover every
#                  one of those names, expires within $KAFKAC_RENEWAL_DAYS days,
#                  or its Secret carries the annotation kafkac.io/force-renew=true,
#                  and after the cluster CA certificate was renewed.
#   Kafka Exporter when $KAFKAC_EXPORTER_CERT_SECRET is set: a client certificate
#                  (extended key usage clientAuth) signed by the cluster CA,
#                  subject $KAFKAC_EXPORTER_SUBJECT, in PEM: kafka-exporter.crt
#                  and kafka-exporter.key (unencrypted PKCS#8, made with openssl
#                  from keytool's key store). Issued anew on the same
#                  conditions as the node certificate, names aside.
#
# With a CA of type cert-manager.io ($KAFKAC_CLUSTER_CA_TRUST_SECRET or
# $KAFKAC_CLIENTS_CA_TRUST_SECRET set) kafkac has no key of that CA: its CA
# certificate Secret holds the CA certificates to trust that the spec names
# (trust_ca), and the node and Kafka Exporter certificates are the ones
# cert-manager issued into <Secret>-cm, checked and copied with the keys above
# (issued_leaf); cert-manager renews them, the next run copies the renewed ones.
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

log_name=certificates
. "${0%/*}/log.sh"
. "${0%/*}/tls-tools.sh"

for generate in "$KAFKAC_CLUSTER_CA_GENERATE" "$KAFKAC_CLIENTS_CA_GENERATE"; do
  case $generate in
    true|false) ;;
    *) fail "KAFKAC_CLUSTER_CA_GENERATE and KAFKAC_CLIENTS_CA_GENERATE must be true or false" ;;
  esac
done
case $KAFKAC_VALIDITY_DAYS$KAFKAC_RENEWAL_DAYS$KAFKAC_CLIENTS_CA_VALIDITY_DAYS$KAFKAC_CLIENTS_CA_RENEWAL_DAYS in
  *[!0-9]*) fail "the validity and renewal days must be whole numbers of days" ;;
esac

# A certificate in PEM with plain line ends (some keytool versions write CRLF).
export_pem() { # key store, its password, alias, file
  keytool_quiet -exportcert -rfc -alias "$3" -keystore "$1" -storetype PKCS12 -storepass "$2" \
    -file "$4.export"
  tr -d '\r' < "$4.export" > "$4"
  rm -f "$4.export"
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

# Addresses the platform gave the listeners' Services and Routes (certs-fetch.sh
# read them): IP addresses and DNS names, lower-cased, each once.
contains() { # list, word
  case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac
}

# An IPv6 address as keytool prints it: eight groups of lower-case hex digits
# without leading zeros (2001:db8:0:0:0:0:0:1); fails when it is not one (or
# ends in an IPv4 address).
ipv6_text() {
  printf '%s\n' "$1" | tr 'A-F' 'a-f' | awk '
    function groups(text, into,   n, i, part) {
      if (text == "") return 0
      n = split(text, part, ":")
      for (i = 1; i <= n; i++) {
        if (part[i] !~ /^[0-9a-f][0-9a-f]?[0-9a-f]?[0-9a-f]?$/) exit 1
        sub(/^0+/, "", part[i]); into[i] = part[i] == "" ? "0" : part[i]
      }
      return n
    }
    {
      if (/:::/ || /[^0-9a-f:]/) exit 1
      gap = index($0, "::")
      if (gap) {
        left = groups(substr($0, 1, gap - 1), head); right = groups(substr($0, gap + 2), tail)
        if (left + right > 7) exit 1
        out = ""
        for (i = 1; i <= left; i++) out = out head[i] ":"
        for (i = 1; i <= 8 - left - right; i++) out = out "0" ":"
        for (i = 1; i <= right; i++) out = out tail[i] ":"
        print substr(out, 1, length(out) - 1)
      } else {
        if (groups($0, all) != 8) exit 1
        print all[1] ":" all[2] ":" all[3] ":" all[4] ":" all[5] ":" all[6] ":" all[7] ":" all[8]
      }
    }'
}
if [ -f "$existing/addresses" ]; then
  while IFS= read -r address; do
    address=$(printf '%s' "$address" | tr 'A-Z' 'a-z')
    case $address in
      '') ;;
      *:*)
        if ipv6=$(ipv6_text "$address") && [ -n "$ipv6" ]; then
          contains "$required_ips" "$ipv6" || required_ips="$required_ips $ipv6"
        else
          log_warn "$address, an address of a listener's Service, is not added to the node" \
            "certificate: kafkac reads IPv6 addresses in hex groups only; pin the listener's address"
        fi ;;
      *[!0-9.]*)
        case $address in
          *[!a-z0-9.-]*|.*|*.) fail "a listener's Service or Route has the address $address, not a DNS name" ;;
        esac
        contains "$required_names" "$address" || required_names="$required_names $address" ;;
      *) contains "$required_ips" "$address" || required_ips="$required_ips $address" ;;
    esac
  done < "$existing/addresses"
fi

now=$(date -u +%s)

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
  import_ca_key "$existing/$4/data/ca.crt" "$existing/$3/data/ca.key" "$ca_store" \
    "ca.key of Secret $3 and ca.crt of Secret $4"
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

# Stages a CA certificate Secret for clients: ca.crt (the PEM file), ca.p12 (a
# PKCS#12 trust store of each certificate, under its alias) and ca.password.
stage_ca_cert_secret() { # Secret, ca.crt file, trust store password, then an alias and a PEM file per certificate
  stage=$1; stage_pem=$2; stage_password=$3; shift 3
  stage_store=$scratch/$stage-truststore.p12
  while [ $# -ge 2 ]; do
    keytool_quiet -importcert -noprompt -alias "$1" -file "$2" \
      -keystore "$stage_store" -storetype PKCS12 -storepass "$stage_password"
    shift 2
  done
  stage_secret "$stage"
  cp "$stage_pem" "$new/$stage/data/ca.crt"
  cp "$stage_store" "$new/$stage/data/ca.p12"
  printf '%s' "$stage_password" > "$new/$stage/data/ca.password"
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
      log_warn "the $what certificate expires on $(utc_date "$ca_until"), within renewalDays" \
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
  stage_ca_cert_secret "$ca_cert_secret" "$ca_crt" "$truststore_password" ca.crt "$ca_crt"
  if [ -d "$existing/$ca_cert_secret" ]; then
    log "$what certificate: updating Secret $ca_cert_secret with the renewed certificate (ca.crt, ca.p12)"
  else
    log "$what certificate: created Secret $ca_cert_secret (ca.crt, ca.p12, ca.password)"
  fi
}

# A CA of type cert-manager.io: kafkac holds no key of it. The CA certificates
# to trust (one PEM bundle, in the Secret and key of spec.<ca>.certManager.caCert)
# are copied into Strimzi's CA certificate Secret: ca.crt (the bundle), ca.p12
# (a trust store of each certificate in it) and ca.password; again whenever the
# bundle changes, so that a new issuer CA is trusted after the next upgrade.
trust_ca() { # what, prefix, certificate Secret, bundle Secret, its key, spec field
  what=$1; prefix=$2; ca_cert_secret=$3; bundle_secret=$4; bundle_key=$5; field=$6
  ca_crt=$scratch/$prefix-ca.crt
  [ -s "$existing/$bundle_secret/data/$bundle_key" ] || fail "spec.$field.certManager.caCert names key" \
    "$bundle_key of Secret $bundle_secret, which does not exist: create it with the PEM certificate(s) of" \
    "the CA that the issuer signs with (see the README, section Certificates)."
  count=$(split_pem "$existing/$bundle_secret/data/$bundle_key" "$scratch/$prefix-trusted-")
  [ "$count" -ge 1 ] || fail "key $bundle_key of Secret $bundle_secret holds no PEM certificate"
  : > "$ca_crt"
  for i in $(seq 1 "$count"); do
    openssl x509 -noout -in "$scratch/$prefix-trusted-$i.crt" 2> /dev/null ||
      fail "certificate $i in key $bundle_key of Secret $bundle_secret is not a valid PEM certificate"
    cat "$scratch/$prefix-trusted-$i.crt" >> "$ca_crt"
  done
  if [ -d "$existing/$ca_cert_secret" ] && cmp -s "$ca_crt" "$existing/$ca_cert_secret/data/ca.crt"; then
    log "$what: cert-manager's (spec.$field.type: cert-manager.io); Secret $ca_cert_secret kept"
    return
  fi
  truststore_password=$(cat "$existing/$ca_cert_secret/data/ca.password" 2>/dev/null || new_password)
  set --
  for i in $(seq 1 "$count"); do set -- "$@" "ca-$i" "$scratch/$prefix-trusted-$i.crt"; done
  stage_ca_cert_secret "$ca_cert_secret" "$ca_crt" "$truststore_password" "$@"
  log "$what: cert-manager's (spec.$field.type: cert-manager.io); writing the $count CA certificate(s)" \
    "of key $bundle_key of Secret $bundle_secret into Secret $ca_cert_secret (ca.crt, ca.p12, ca.password)"
}

trust_secret=${KAFKAC_CLUSTER_CA_TRUST_SECRET:-}
if [ -n "$trust_secret" ]; then
  : "${KAFKAC_CLUSTER_CA_TRUST_KEY:?}"
  trust_ca "cluster CA" cluster "$KAFKAC_CLUSTER_CA_CERT_SECRET" "$trust_secret" \
    "$KAFKAC_CLUSTER_CA_TRUST_KEY" clusterCa
else
  ensure_ca "cluster CA" cluster "$KAFKAC_CLUSTER_CA_SECRET" "$KAFKAC_CLUSTER_CA_CERT_SECRET" \
    "$KAFKAC_CA_SUBJECT" "$KAFKAC_VALIDITY_DAYS" "$KAFKAC_RENEWAL_DAYS" "$KAFKAC_CLUSTER_CA_GENERATE" clusterCa
fi

# ------------------------------------------------------ leaf certificates
# The node certificate and Kafka Exporter's, signed by the cluster CA (see
# leaf_reason and issue_leaf in tls-tools.sh), are issued anew, too, when the
# cluster CA is new or its certificate was renewed: their chains carry it.
ca_name="cluster CA"
# What issued_leaf (tls-tools.sh) checks cert-manager's certificates against.
ca_trust="the CA certificates in key ${KAFKAC_CLUSTER_CA_TRUST_KEY:-} of Secret $trust_secret"
ca_trust_hint="That key must hold the certificate(s) of the CA your issuer signs with (spec.clusterCa.certManager.caCert)."

cluster_leaf_reason() { # as leaf_reason
  if [ "$ca_created" = true ]; then
    reason="the cluster CA is new"; leaf_info=""; leaf_until=""
  elif [ "$ca_renewed" = true ]; then
    reason="the cluster CA certificate was renewed"; leaf_info=""; leaf_until=""
  else
    leaf_reason "$@"
  fi
}

# Queues a Secret whose keys are in $new/<Secret>/data: created when it is
# absent, else replaced at the resourceVersion that was read.
queue_leaf_secret() { # what (for the log), Secret
  if [ -d "$existing/$2" ]; then
    echo replace > "$new/$2/action"
    cp "$existing/$2/resourceVersion" "$new/$2/resourceVersion"
    if [ -n "$trust_secret" ]; then
      log "$1: updating it, because $reason"
    else
      log "$1: re-issuing it with the existing cluster CA, because $reason"
    fi
  else
    echo create > "$new/$2/action"
    log "$1: issuing it, because $reason"
  fi
  echo "$2" >> "$new/order"
}

# ----------------------------------------------------------------- node
node_secret=$KAFKAC_NODE_CERT_SECRET

# Sets missing to the names and addresses the node certificate ($leaf_info)
# does not cover, and reason when there are any.
node_names_missing() {
  present=$(echo "$leaf_info" | sed -n 's/^ *DNSName: //p')
  missing=""
  for name in $required_names; do
    if ! echo "$present" | grep -qxF "$name"; then missing="$missing $name"; fi
  done
  present_ips=$(echo "$leaf_info" | sed -n 's/^ *IPAddress: //p')
  for ip in $required_ips; do
    if ! echo "$present_ips" | grep -qxF "$ip"; then missing="$missing $ip"; fi
  done
  [ -z "$missing" ] || reason="its certificate does not cover these names:$missing"
}

# The node certificate that cert-manager issued, with Strimzi's keys.
copy_node_certificate() {
  issued_leaf "node certificate" "$node_secret" node.crt node sslserver node.crt node.p12 node.password
  # The Certificate asks for every name known when the chart renders; the
  # platform's addresses (load balancers, Routes) come later and are not in it.
  copy_reason=$reason
  node_names_missing
  reason=$copy_reason
  [ -z "$missing" ] || log_warn "node certificate: cert-manager's does not cover these addresses the" \
    "platform gave the listeners:$missing; pin them in the listeners' configuration (host," \
    "loadBalancerIP, alternativeNames) for the chart's Certificate to ask for them"
  if [ -z "$reason" ]; then
    log "node certificate: kept (Secret $node_secret holds cert-manager's, valid until $(utc_date "$leaf_until"))"
    return
  fi
  leaf_password=$(new_password)
  mkdir -p "$new/$node_secret/data"
  pem_key_store "$scratch/node.chain" "$scratch/node.key" "$new/$node_secret/data/node.p12" node \
    "$leaf_password" "Secret $node_secret-cm"
  cp "$scratch/node.crt" "$new/$node_secret/data/node.crt"
  printf '%s' "$leaf_password" > "$new/$node_secret/data/node.password"
  queue_leaf_secret "node certificate" "$node_secret"
}

# The node certificate, issued here with the cluster CA's key when it is due.
issue_node_certificate() {
  cluster_leaf_reason "node certificate" "$node_secret" node.crt "$KAFKAC_RENEWAL_DAYS" node_names_missing \
    node.crt node.p12 node.password
  if [ -z "$reason" ]; then
    log "node certificate: kept (Secret $node_secret is current, valid until $(utc_date "$leaf_until"))"
    return
  fi
  sans=""
  for name in $required_names; do sans="${sans:+$sans,}dns:$name"; done
  for ip in $required_ips; do sans="$sans,ip:$ip"; done
  issue_leaf node "$KAFKAC_NODE_SUBJECT" "$KAFKAC_VALIDITY_DAYS" serverAuth,clientAuth -ext "SAN=$sans"
  mkdir -p "$new/$node_secret/data"
  cp "$leaf_store" "$new/$node_secret/data/node.p12"
  cp "$scratch/node.crt" "$new/$node_secret/data/node.crt"
  printf '%s' "$leaf_password" > "$new/$node_secret/data/node.password"
  queue_leaf_secret "node certificate" "$node_secret"
  log "node certificate: $KAFKAC_NODE_SUBJECT, valid $days days, for:$required_names"
}

if [ -n "$trust_secret" ]; then copy_node_certificate; else issue_node_certificate; fi

# --------------------------------------------------------- Kafka Exporter
# Its client certificate for the replication listener, in PEM as Kafka
# Exporter (Go's tls.LoadX509KeyPair) reads it: the key unencrypted, PKCS#8.
if [ -n "${KAFKAC_EXPORTER_CERT_SECRET:-}" ]; then
  : "${KAFKAC_EXPORTER_SUBJECT:?}"
  exporter_secret=$KAFKAC_EXPORTER_CERT_SECRET
  if [ -n "$trust_secret" ]; then
    issued_leaf "Kafka Exporter certificate" "$exporter_secret" kafka-exporter.crt kafka-exporter sslclient \
      kafka-exporter.crt kafka-exporter.key
  else
    cluster_leaf_reason "Kafka Exporter certificate" "$exporter_secret" kafka-exporter.crt "$KAFKAC_RENEWAL_DAYS" : \
      kafka-exporter.crt kafka-exporter.key
  fi
  if [ -z "$reason" ]; then
    log "Kafka Exporter certificate: kept (Secret $exporter_secret is current," \
      "valid until $(utc_date "$leaf_until"))"
  else
    mkdir -p "$new/$exporter_secret/data"
    if [ -n "$trust_secret" ]; then
      cp "$scratch/kafka-exporter.crt" "$new/$exporter_secret/data/kafka-exporter.crt"
      openssl pkey -in "$scratch/kafka-exporter.key" -out "$new/$exporter_secret/data/kafka-exporter.key"
      queue_leaf_secret "Kafka Exporter certificate" "$exporter_secret"
    else
      issue_leaf kafka-exporter "$KAFKAC_EXPORTER_SUBJECT" "$KAFKAC_VALIDITY_DAYS" clientAuth
      cp "$scratch/kafka-exporter.crt" "$new/$exporter_secret/data/kafka-exporter.crt"
      export_key "$leaf_store" "$leaf_password" "$new/$exporter_secret/data/kafka-exporter.key"
      queue_leaf_secret "Kafka Exporter certificate" "$exporter_secret"
      log "Kafka Exporter certificate: $KAFKAC_EXPORTER_SUBJECT, valid $days days"
    fi
  fi
fi

# The clients CA signs nothing here: KafkaUsers' certificates are issued by the
# users Job. The brokers trust it on listeners with `authentication: tls`.
if [ -n "${KAFKAC_CLIENTS_CA_TRUST_SECRET:-}" ]; then
  : "${KAFKAC_CLIENTS_CA_TRUST_KEY:?}"
  trust_ca "clients CA" clients "$KAFKAC_CLIENTS_CA_CERT_SECRET" "$KAFKAC_CLIENTS_CA_TRUST_SECRET" \
    "$KAFKAC_CLIENTS_CA_TRUST_KEY" clientsCa
else
  ensure_ca "clients CA" clients "$KAFKAC_CLIENTS_CA_SECRET" "$KAFKAC_CLIENTS_CA_CERT_SECRET" \
    "$KAFKAC_CLIENTS_CA_SUBJECT" "$KAFKAC_CLIENTS_CA_VALIDITY_DAYS" "$KAFKAC_CLIENTS_CA_RENEWAL_DAYS" \
    "$KAFKAC_CLIENTS_CA_GENERATE" clientsCa
fi
rm -rf "$scratch"
