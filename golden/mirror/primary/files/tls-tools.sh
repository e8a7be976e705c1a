# Sourced by the issue steps of the certificates and users Jobs (certs-issue.sh,
# users-issue.sh), after log.sh: openssl as both use it (keys, certificates and
# PKCS#12 key stores, without a JVM), reading a certificate's end, names and key
# identifiers, and the lifecycle of a certificate a CA signs (when to issue it
# anew, and issuing it). Key store passwords reach openssl through its
# environment, never its command line; only the key that seals a trust store of
# CA certificates (pem_trust_store) is an argument of an openssl process.

# openssl, its chatter in the log only when it fails.
openssl_quiet() { # what it does (for an error), then openssl's arguments
  quiet_what=$1; shift
  if ! output=$(openssl "$@" 2>&1 < /dev/null); then
    fail "openssl cannot $quiet_what: $output"
  fi
}

new_password() {
  tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32
}

# A key store's private key as unencrypted PKCS#8 PEM, as Strimzi writes ca.key,
# user.key and kafka-exporter.key.
export_key() { # key store, its password, file
  export_pem "$1" "$2" "$3" "the private key" pkey -nocerts -nodes
}

# The certificate of a key store's private key, in PEM.
export_certificate() { # key store, its password, file
  export_pem "$1" "$2" "$3" "the certificate" x509 -nokeys -clcerts
}

export_pem() { # key store, its password, file, what (for an error), openssl command to PEM, pkcs12 options
  export_store=$1 export_password=$2 export_file=$3 export_what=$4 export_command=$5
  shift 5
  if ! output=$(KAFKAC_STORE_PASSWORD=$export_password openssl pkcs12 -in "$export_store" "$@" \
        -passin env:KAFKAC_STORE_PASSWORD -out "$export_file.bag" 2>&1) ||
     ! output=$(openssl "$export_command" -in "$export_file.bag" -out "$export_file" 2>&1); then
    rm -f "$export_file.bag"
    fail "openssl cannot read $export_what of a key store: $output"
  fi
  rm -f "$export_file.bag"
}

# A PKCS#12 key store of a PEM private key and its certificate (and chain).
pem_key_store() { # certificate PEM, key PEM, key store, alias, its password, what (for an error)
  if ! output=$(KAFKAC_STORE_PASSWORD=$5 openssl pkcs12 -export -name "$4" \
        -in "$1" -inkey "$2" -passin pass: -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 \
        -out "$3" -passout env:KAFKAC_STORE_PASSWORD 2>&1 < /dev/null); then
    fail "openssl cannot make a key store of $6: $output"
  fi
}

# The private key of a CA the user provides as Strimzi's ca.key (PEM) and ca.crt,
# for openssl to sign with, and the certificate in ca.crt that is its key's
# (ca.crt may hold more CA certificates).
load_ca_key() { # ca.crt, ca.key, key file, certificate file, what (for an error)
  found_key=false
  if openssl pkey -in "$2" -passin pass: -out "$3" > /dev/null 2>&1 < /dev/null; then
    public_key=$(openssl pkey -pubout -in "$3" 2>&1)
    count=$(split_pem "$1" "$3-cert-")
    for i in $(seq 1 "$count"); do
      if [ "$found_key" = false ] &&
         [ "$(openssl x509 -noout -pubkey -in "$3-cert-$i.crt" 2>&1)" = "$public_key" ]; then
        cp "$3-cert-$i.crt" "$4"
        found_key=true
      fi
    done
    rm -f "$3"-cert-*.crt
  fi
  [ "$found_key" = true ] || fail "openssl cannot sign with $5: ca.key must be the unencrypted PEM private" \
    "key of the certificate in ca.crt."
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

# The hex digits of a file's bytes.
hex_of() { # file
  od -A n -v -t x1 "$1" | tr -d ' \n'
}

# A PKCS#12 trust store of CA certificates as Java reads one: each certificate
# under its alias (friendlyName) and with the attribute that makes it a trusted
# certificate entry (Oracle's trusted key usage: anyExtendedKeyUsage), which
# openssl pkcs12 does not write, so the store is assembled here with openssl
# asn1parse. The certificates are public and not encrypted; the store is sealed
# with an HMAC-SHA256 whose key derives from the password (RFC 7292, 2048
# iterations), as openssl and Java seal theirs.
pem_trust_store() { # key store, its password, then an alias and a PEM file per certificate
  trust_file=$1; trust_password=$2; shift 2
  case $trust_password in
    ''|*[!A-Za-z0-9._-]*) fail "a trust store password must be letters, digits, '.', '_' or '-'" ;;
  esac
  trust_conf=$scratch/trust-store.cnf
  echo '[bags]' > "$trust_conf.bags"
  : > "$trust_conf.each"
  n=0
  while [ $# -ge 2 ]; do
    n=$((n + 1))
    openssl_quiet "read the CA certificate $2" x509 -in "$2" -outform DER -out "$scratch/trusted.der"
    echo "bag$n = SEQUENCE:bag$n" >> "$trust_conf.bags"
    cat >> "$trust_conf.each" <<EOF
[bag$n]
type = OID:1.2.840.113549.1.12.10.1.3
value = EXPLICIT:0,SEQUENCE:cert$n
attributes = SET:attributes$n
[cert$n]
type = OID:1.2.840.113549.1.9.22.1
value = EXPLICIT:0,FORMAT:HEX,OCTETSTRING:$(hex_of "$scratch/trusted.der")
[attributes$n]
name = SEQUENCE:name$n
trust = SEQUENCE:trust$n
[name$n]
type = OID:1.2.840.113549.1.9.20
values = SET:name_values$n
[name_values$n]
value = FORMAT:UTF8,BMPSTRING:$1
[trust$n]
type = OID:2.16.840.1.113894.746875.1.1
values = SET:trust_values$n
[trust_values$n]
value = OID:2.5.29.37.0
EOF
    shift 2
  done
  cat > "$trust_conf.safe" <<EOF
[safe]
contents = SEQUENCE:contents
[contents]
type = OID:1.2.840.113549.1.7.1
value = EXPLICIT:0,OCTWRAP,SEQUENCE:bags
EOF
  { echo 'asn1 = SEQUENCE:safe'; cat "$trust_conf.safe" "$trust_conf.bags" "$trust_conf.each"; } > "$trust_conf"
  openssl_quiet "make a trust store" asn1parse -genconf "$trust_conf" -noout -out "$scratch/trusted-safe.der"
  # The MAC key: PKCS#12 key derivation (ID 3) from the password as a BMPString with its NUL.
  salt=$(openssl rand -hex 16)
  bmp_password=$(printf '%s' "$trust_password" | od -A n -v -t x1 | tr -d ' \n' | sed 's/../00&/g')0000
  openssl_quiet "derive a trust store's key" kdf -keylen 32 -kdfopt digest:SHA256 \
    -kdfopt "hexpass:$bmp_password" -kdfopt "hexsalt:$salt" -kdfopt iter:2048 -kdfopt id:3 \
    -out "$scratch/trusted-mac.key" -binary PKCS12KDF
  openssl_quiet "seal a trust store" mac -digest SHA256 -macopt "hexkey:$(hex_of "$scratch/trusted-mac.key")" \
    -in "$scratch/trusted-safe.der" -out "$scratch/trusted.mac" HMAC
  { echo 'asn1 = SEQUENCE:pfx'
    cat <<EOF
[pfx]
version = INTEGER:3
content = SEQUENCE:pfx_content
mac = SEQUENCE:mac
[pfx_content]
type = OID:1.2.840.113549.1.7.1
value = EXPLICIT:0,OCTWRAP,SEQUENCE:safe
[mac]
digest = SEQUENCE:digest
salt = FORMAT:HEX,OCTETSTRING:$salt
iterations = INTEGER:2048
[digest]
algorithm = SEQUENCE:sha256
value = FORMAT:HEX,OCTETSTRING:$(tr -d ' \n' < "$scratch/trusted.mac")
[sha256]
oid = OID:2.16.840.1.101.3.4.2.1
parameters = NULL
EOF
    cat "$trust_conf.safe" "$trust_conf.bags" "$trust_conf.each"
  } > "$trust_conf"
  openssl_quiet "make a trust store" asn1parse -genconf "$trust_conf" -noout -out "$trust_file"
  rm -f "$trust_conf" "$trust_conf".* "$scratch"/trusted*
}

# ---------------------------------------------------------- reading certificates

# What the Jobs read of a certificate (the first of a PEM file), one fact a line:
# "until <seconds since 1970>", "fingerprint <SHA-256, hex>", "ski <hex>",
# "aki <hex>" (key identifiers), "dns <name>" and "ip <address, as openssl
# prints it>" for each subject alternative name.
cert_info() { # PEM file
  openssl x509 -noout -enddate -fingerprint -sha256 \
    -ext subjectKeyIdentifier,authorityKeyIdentifier,subjectAltName -in "$1" 2>&1 | awk '
    function hex(text) { sub(/^ *(keyid:)?/, "", text); gsub(/[^0-9A-Fa-f]/, "", text); return toupper(text) }
    sub(/^notAfter=/, "") {
      # Sep 21 09:23:50 2027 GMT
      split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ")
      month = 0
      for (i = 1; i <= 12; i++) if (names[i] == $1) month = i
      split($3, hms, ":"); day = $2; year = $4
      if (!month || $5 != "GMT") { bad = 1; next }
      # Days since 1970-01-01 of a proleptic Gregorian date.
      y = year - (month <= 2); era = int(y / 400); yoe = y - era * 400
      doy = int((153 * ((month + 9) % 12) + 2) / 5) + day - 1
      doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
      found = 1
      printf "until %d\n", (era * 146097 + doe - 719468) * 86400 + hms[1] * 3600 + hms[2] * 60 + hms[3]
      next
    }
    /[Ff]ingerprint=/ { sub(/^[^=]*=/, ""); print "fingerprint " hex($0); next }
    next_is != "" && /^    / {
      if (next_is == "san") {
        n = split($0, names, ",")
        for (i = 1; i <= n; i++) {
          name = names[i]; sub(/^ +/, "", name); sub(/ +$/, "", name)
          if (sub(/^DNS:/, "", name)) print "dns " name
          else if (sub(/^IP Address:/, "", name)) print "ip " name
        }
      } else if ($0 ~ /^ *(keyid:)?[0-9A-Fa-f][0-9A-Fa-f](:[0-9A-Fa-f][0-9A-Fa-f])*$/) {
        print next_is " " hex($0)
      }
      next_is = ""
      next
    }
    { next_is = "" }
    /^X509v3 Subject Key Identifier:/ { next_is = "ski" }
    /^X509v3 Authority Key Identifier:/ { next_is = "aki" }
    /^X509v3 Subject Alternative Name:/ { next_is = "san" }
    END { exit bad || !found }'
}

# One fact of cert_info's output (the first of its kind).
cert_fact() { # kind; cert_info output on stdin
  awk -v kind="$1" '$1 == kind { print substr($0, length(kind) + 2); exit }'
}

utc_date() { # seconds since the epoch
  date -u -d "@$1" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo "$1 (seconds since 1970)"
}

# A time as openssl ca takes it: YYYYMMDDHHMMSSZ, UTC.
asn1_time() { # seconds since the epoch
  awk -v t="$1" 'BEGIN {
    s = t % 86400; z = (t - s) / 86400 + 719468
    era = int(z / 146097); doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
    m = mp < 10 ? mp + 3 : mp - 9; y = yoe + era * 400 + (m <= 2)
    printf "%04d%02d%02d%02d%02d%02dZ\n", y, m, d, int(s / 3600), int((s % 3600) / 60), s % 60
  }'
}

# ---------------------------------------------------------- making certificates

# An X.500 name written most significant part last ("CN=x, O=y", as Strimzi and
# the chart write them) in openssl's form, most significant first ("/O=y/CN=x").
openssl_subject() { # name
  case $1 in
    *[/\\\"+]*) fail "kafkac cannot write the subject $1: it has one of / \\ \" +" ;;
  esac
  printf '%s\n' "$1" | awk -F, '{ for (i = NF; i >= 1; i--) { v = $i; sub(/^ +/, "", v); sub(/ +$/, "", v); out = out "/" v }; print out }'
}

# openssl's settings for the requests and signatures below: DN strings are
# PrintableString where they can be, else UTF8String (as Java writes them); the
# CA database openssl ca wants lives in $scratch and is thrown away.
openssl_config() {
  openssl_conf=$scratch/openssl.cnf
  [ -f "$openssl_conf" ] && return
  mkdir -p "$scratch/signed"
  : > "$scratch/signed/index.txt"
  echo 01 > "$scratch/signed/serial"
  cat > "$openssl_conf" <<EOF
[req]
distinguished_name = no_prompt
string_mask = MASK:0x2002
[no_prompt]
[ca]
default_ca = kafkac
[kafkac]
database = $scratch/signed/index.txt
new_certs_dir = $scratch/signed
serial = $scratch/signed/serial
unique_subject = no
default_md = sha256
policy = any_name
[any_name]
EOF
}

# A 2048-bit RSA key (unencrypted PKCS#8 PEM) and a request for it.
new_key_and_request() { # key file, request file, subject ("CN=x, O=y")
  openssl_config
  openssl_quiet "make an RSA key" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"
  openssl_quiet "make a certificate request for $3" req -new -config "$openssl_conf" -key "$1" \
    -subj "$(openssl_subject "$3")" -out "$2"
}

# A certificate of the request, with its subject as it is, valid from an hour
# back (for clocks that are a little behind) for the given days, with the
# extensions of the file: signed with the CA key and certificate given, or
# self-signed with the key when the CA certificate is "self".
sign_request() { # request, certificate (PEM), validity days, extensions file, CA key, CA certificate or self
  openssl_config
  sign_start=$(($(date -u +%s) - 3600))
  if [ "$6" = self ]; then set -- "$1" "$2" "$3" "$4" "$5" -selfsign; else set -- "$1" "$2" "$3" "$4" "$5" -cert "$6"; fi
  openssl_quiet "sign a certificate" ca -batch -config "$openssl_conf" -notext -preserveDN -rand_serial \
    -in "$1" -out "$2" -keyfile "$5" "$6" ${7:+"$7"} -extfile "$4" \
    -startdate "$(asn1_time "$sign_start")" -enddate "$(asn1_time $((sign_start + $3 * 86400)))"
}

# ------------------------------------------------------ leaf certificates
# A key and a certificate signed by a CA, in a Secret: the node certificate and
# Kafka Exporter's (cluster CA), the KafkaUsers' (clients CA). All follow the
# same lifecycle. The functions below read the signing CA from the caller:
# ca_name (for the log: "cluster CA"), ca_crt (its certificate, PEM), ca_key
# (its private key, PEM) and ca_signer (the certificate of that key), ca_id (its SubjectKeyIdentifier), ca_until (its end,
# seconds since 1970), and $now, $existing (certs-fetch.sh's folder) and $scratch.

# Why the certificate in a Secret must be issued anew; empty when it is current.
# Sets reason, and leaf_info (cert_info's output) and leaf_until when
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
  leaf_info=$(cert_info "$existing/$secret/data/$crt_key") || fail "cannot read $crt_key of Secret $secret"
  leaf_until=$(echo "$leaf_info" | cert_fact until)
  if [ "$(echo "$leaf_info" | cert_fact aki)" != "$ca_id" ]; then
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
# key under alias <name> with its chain: the certificate, then the CA's),
# $scratch/<name>.crt (PEM), $scratch/<name>.key (unencrypted PKCS#8 PEM), and
# sets leaf_store, leaf_password (the key store's password) and days (the validity).
issue_leaf() { # name (of its files and alias), subject, validity days, extended key usage, subject alternative names (openssl's list, or empty)
  leaf=$1; subject=$2; days=$3
  # Both start an hour back, for clocks that are a little behind.
  ca_days=$(((ca_until - now + 7200) / 86400))
  [ "$ca_days" -ge "$days" ] || days=$ca_days
  [ "$days" -ge 1 ] || fail "the $ca_name expires in less than a day; cannot issue a $leaf certificate"
  new_key_and_request "$scratch/$leaf.key" "$scratch/$leaf.csr" "$subject"
  { echo 'subjectKeyIdentifier = hash'
    echo 'authorityKeyIdentifier = keyid:always'
    echo 'keyUsage = critical, digitalSignature, keyEncipherment'
    echo "extendedKeyUsage = $4"
    [ -z "$5" ] || echo "subjectAltName = $5"
  } > "$scratch/$leaf.ext"
  sign_request "$scratch/$leaf.csr" "$scratch/$leaf.crt" "$days" "$scratch/$leaf.ext" "$ca_key" "$ca_signer"
  cat "$scratch/$leaf.crt" "$ca_signer" > "$scratch/$leaf.chain"
  leaf_password=$(new_password)
  leaf_store=$scratch/$leaf.p12
  pem_key_store "$scratch/$leaf.chain" "$scratch/$leaf.key" "$leaf_store" "$leaf" "$leaf_password" \
    "the new $leaf certificate"
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
  leaf_info=$(cert_info "$scratch/$leaf.crt") || fail "cannot read the $what's certificate"
  leaf_until=$(echo "$leaf_info" | cert_fact until)
  reason=""
  if [ ! -d "$existing/$secret" ]; then
    reason="Secret $secret does not exist"
  else
    for key in "$@"; do
      if [ ! -s "$existing/$secret/data/$key" ] && [ -z "$reason" ]; then
        reason="Secret $secret has no key $key"
      fi
    done
    if [ -z "$reason" ] && [ "$(cert_info "$existing/$secret/data/$crt_key" | cert_fact fingerprint)" != \
                              "$(echo "$leaf_info" | cert_fact fingerprint)" ]; then
      reason="cert-manager issued a new certificate (Secret $issued)"
    fi
  fi
}
