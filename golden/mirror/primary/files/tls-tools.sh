# Sourced by the issue steps of the certificates and users Jobs (certs-issue.sh,
# users-issue.sh), after log.sh: keytool and openssl as both use them, reading a
# certificate's end and key identifiers, and the lifecycle of a certificate a CA
# signs (when to issue it anew, and issuing it). Passwords reach keytool as
# arguments of its own process only, and openssl through its environment, never
# its command line.

# keytool, in English and UTC whatever the image's locale, so that its output
# reads the same everywhere. Its chatter goes to the log only when it fails.
keytool_quiet() {
  if ! output=$(keytool -J-Duser.language=en -J-Duser.country=US -J-Duser.timezone=UTC "$@" 2>&1); then
    fail "keytool $1 failed: $output"
  fi
}

new_password() {
  tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32
}

# A key store's private key as unencrypted PKCS#8 PEM, as Strimzi writes ca.key,
# user.key and kafka-exporter.key.
export_key() { # key store, its password, file
  if ! output=$(KAFKAC_STORE_PASSWORD=$2 openssl pkcs12 -in "$1" -nocerts -nodes \
        -passin env:KAFKAC_STORE_PASSWORD -out "$3.bag" 2>&1) ||
     ! output=$(openssl pkey -in "$3.bag" -out "$3" 2>&1); then
    rm -f "$3.bag"
    fail "openssl cannot read the private key of a key store: $output"
  fi
  rm -f "$3.bag"
}

# A PKCS#12 key store of a PEM private key and its certificate (and chain).
pem_key_store() { # certificate PEM, key PEM, key store, alias, its password, what (for an error)
  if ! output=$(KAFKAC_STORE_PASSWORD=$5 openssl pkcs12 -export -name "$4" \
        -in "$1" -inkey "$2" -passin pass: -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
        -out "$3" -passout env:KAFKAC_STORE_PASSWORD 2>&1 < /dev/null); then
    fail "openssl cannot make a key store of $6: $output"
  fi
}

# A PKCS#12 key store (alias ca, a new password in $ca_password) of a CA the user
# provides as Strimzi's ca.key and ca.crt, for keytool to sign with.
import_ca_key() { # ca.crt, ca.key, key store, what (for an error)
  ca_password=$(new_password)
  pem_key_store "$1" "$2" "$3" ca "$ca_password" \
    "$4: ca.key must be the unencrypted PEM private key of the certificate in ca.crt."
}

# Writes each certificate of a PEM file to <prefix>1.crt, <prefix>2.crt, ...
# in their order, and prints how many there are.
split_pem() { # PEM file, prefix
  tr -d '\r' < "$1" | awk -v prefix="$2" -v label=CERTIFICATE '
    $0 == "-----BEGIN " label "-----" { n++; inside = 1 }
    inside { print > (prefix n ".crt") }
    $0 == "-----END " label "-----" { inside = 0 }
    END { print n + 0 }'
}

# ---------------------------------------------------------- reading certificates

printcert() { # PEM file
  keytool -J-Duser.language=en -J-Duser.country=US -J-Duser.timezone=UTC -printcert -file "$1"
}
fingerprint() { # printcert output on stdin
  sed -n 's/^[[:space:]]*SHA256: //p' | head -n 1
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

# ------------------------------------------------------ leaf certificates
# A key and a certificate signed by a CA, in a Secret: the node certificate and
# Kafka Exporter's (cluster CA), the KafkaUsers' (clients CA). All follow the
# same lifecycle. The functions below read the signing CA from the caller:
# ca_name (for the log: "cluster CA"), ca_crt (its certificate, PEM), ca_store
# and ca_password (its PKCS#12 key store, alias ca), ca_id (its
# SubjectKeyIdentifier), ca_until (its end, seconds since 1970), and $now,
# $existing (certs-fetch.sh's folder) and $scratch.

# Why the certificate in a Secret must be issued anew; empty when it is current.
# Sets reason, and leaf_info (keytool's printcert output) and leaf_until when
# there is a certificate to read. `check` is a function run on a certificate
# that is signed by the current CA, to find more reasons (or `:`).
leaf_reason() { # what (for the log), Secret, certificate key, renewal days, check, then every key the Secret must have
  what=$1; secret=$2; crt_key=$3; renewal=$4; check=$5; shift 5
  reason=""; leaf_info=""; leaf_until=""
  if [ ! -d "$existing/$secret" ]; then
    reason="Secret $secret does not exist"
  elif [ -e "$existing/$secret/force-renew" ]; then
    reason="Secret $secret has the annotation kafkac.io/force-renew=true"
  else
    for key in "$@"; do
      if [ ! -s "$existing/$secret/data/$key" ] && [ -z "$reason" ]; then
        reason="Secret $secret has no key $key"
      fi
    done
  fi
  [ -z "$reason" ] || return 0
  leaf_info=$(printcert "$existing/$secret/data/$crt_key") || fail "cannot read $crt_key of Secret $secret"
  leaf_until=$(echo "$leaf_info" | not_after) || fail "cannot read the $what's validity"
  if [ "$(echo "$leaf_info" | key_identifier AuthorityKeyIdentifier)" != "$ca_id" ]; then
    reason="its certificate is not signed by the $ca_name"
    return 0
  fi
  "$check"
  [ -z "$reason" ] || return 0
  if [ "$leaf_until" -le "$now" ]; then
    reason="its certificate expired on $(utc_date "$leaf_until")"
  elif [ $((leaf_until - now)) -le $((renewal * 86400)) ]; then
    if [ "$ca_until" -gt $((leaf_until + 86400)) ]; then
      reason="its certificate expires on $(utc_date "$leaf_until"), within renewalDays ($renewal)"
    else
      log_warn "the $what expires on $(utc_date "$leaf_until") and cannot be renewed" \
        "past the $ca_name certificate, which expires on $(utc_date "$ca_until")"
    fi
  fi
}

# Issues a new key and a certificate for it signed by the CA, valid the given
# days but never past the CA's end: $scratch/<name>.p12 (PKCS#12 key store, the
# key under alias <name> with its chain), $scratch/<name>.crt (PEM), and sets
# leaf_store, leaf_password (the key store's password) and days (the validity).
issue_leaf() { # name (of its files and alias), subject, validity days, extended key usage, then more keytool -ext options
  leaf=$1; subject=$2; days=$3; usage=$4; shift 4
  # Both start an hour back, for clocks that are a little behind.
  ca_days=$(((ca_until - now + 7200) / 86400))
  [ "$ca_days" -ge "$days" ] || days=$ca_days
  [ "$days" -ge 1 ] || fail "the $ca_name expires in less than a day; cannot issue a $leaf certificate"
  leaf_password=$(new_password)
  leaf_store=$scratch/$leaf.p12
  rm -f "$leaf_store"
  keytool_quiet -genkeypair -alias "$leaf" -keyalg RSA -keysize 2048 -dname "$subject" \
    -keystore "$leaf_store" -storetype PKCS12 -storepass "$leaf_password"
  keytool_quiet -certreq -alias "$leaf" -keystore "$leaf_store" -storetype PKCS12 \
    -storepass "$leaf_password" -file "$scratch/$leaf.csr"
  keytool_quiet -gencert -alias ca -keystore "$ca_store" -storetype PKCS12 -storepass "$ca_password" \
    -infile "$scratch/$leaf.csr" -outfile "$scratch/$leaf.crt.export" -rfc -startdate -1H -validity "$days" \
    "$@" -ext KU:c=digitalSignature,keyEncipherment -ext "EKU=$usage"
  tr -d '\r' < "$scratch/$leaf.crt.export" > "$scratch/$leaf.crt"
  # Install the signed certificate with its chain (leaf, CA) under the key.
  keytool_quiet -importcert -noprompt -alias ca -file "$ca_crt" \
    -keystore "$leaf_store" -storetype PKCS12 -storepass "$leaf_password"
  keytool_quiet -importcert -noprompt -alias "$leaf" -file "$scratch/$leaf.crt" \
    -keystore "$leaf_store" -storetype PKCS12 -storepass "$leaf_password"
  keytool_quiet -delete -alias ca -keystore "$leaf_store" -storetype PKCS12 -storepass "$leaf_password"
}

# With a CA of type cert-manager.io, cert-manager issues each
# certificate into Secret <Secret>-cm (tls.crt, the certificate and its chain;
# tls.key), for the Certificate the request step asked for; kafkac copies it
# into its own Secret with Strimzi's keys. Sets reason, empty when <Secret>
# already holds that certificate, leaf_info and leaf_until, and leaves
# $scratch/<name>.crt (the certificate), <name>.chain (with its chain) and
# <name>.key. The certificate must verify against $ca_crt, the CA certificates
# to trust ($ca_trust and $ca_trust_hint say where they come from, for an error).
issued_leaf() { # what (for the log), Secret, certificate key, name (of the files), openssl verify purpose, then every key the Secret must have
  what=$1; secret=$2; crt_key=$3; leaf=$4; purpose=$5; shift 5
  issued=$secret-cm
  for key in tls.crt tls.key; do
    [ -s "$existing/$issued/data/$key" ] || fail "Secret $issued, where cert-manager issues the $what" \
      "(Certificate $secret), has no $key"
  done
  tr -d '\r' < "$existing/$issued/data/tls.crt" > "$scratch/$leaf.chain"
  [ "$(split_pem "$scratch/$leaf.chain" "$scratch/$leaf-chain-")" -ge 1 ] ||
    fail "tls.crt of Secret $issued holds no PEM certificate"
  cp "$scratch/$leaf-chain-1.crt" "$scratch/$leaf.crt"
  cp "$existing/$issued/data/tls.key" "$scratch/$leaf.key"
  if ! output=$(openssl verify -CAfile "$ca_crt" -untrusted "$scratch/$leaf.chain" \
      -purpose "$purpose" "$scratch/$leaf.crt" 2>&1); then
    fail "the $what cert-manager issued (Secret $issued) does not verify against $ca_trust: $output." \
      "$ca_trust_hint"
  fi
  if [ "$(openssl pkey -pubout -in "$scratch/$leaf.key" 2>&1)" != \
       "$(openssl x509 -noout -pubkey -in "$scratch/$leaf.crt")" ]; then
    fail "tls.key of Secret $issued is not the key of its certificate"
  fi
  leaf_info=$(printcert "$scratch/$leaf.crt")
  leaf_until=$(echo "$leaf_info" | not_after) || fail "cannot read the $what's validity"
  reason=""
  if [ ! -d "$existing/$secret" ]; then
    reason="Secret $secret does not exist"
  else
    for key in "$@"; do
      if [ ! -s "$existing/$secret/data/$key" ] && [ -z "$reason" ]; then
        reason="Secret $secret has no key $key"
      fi
    done
    if [ -z "$reason" ] && [ "$(printcert "$existing/$secret/data/$crt_key" | fingerprint)" != \
                              "$(echo "$leaf_info" | fingerprint)" ]; then
      reason="cert-manager issued a new certificate (Secret $issued)"
    fi
  fi
}
