# Sourced by the issue steps of the certificates and users Jobs (certs-issue.sh,
# users-issue.sh), after log.sh: keytool and openssl as both use them. Passwords
# reach keytool as arguments of its own process only, and openssl through its
# environment, never its command line.

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
