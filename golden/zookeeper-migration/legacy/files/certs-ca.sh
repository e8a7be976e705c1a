# Sourced by certs-issue.sh, after log.sh, tls-tools.sh and certs-stage.sh: the
# lifecycle of the cluster and clients CAs.
#
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
# kafkac never writes either; openssl signs with them (checked to be a pair) in
# scratch memory, and renewing them is the user's.
#
# ensure_ca sets ca_key, ca_signer, ca_created, ca_renewed, ca_until and ca_id,
# and leaves the CA certificate in $scratch/<prefix>-ca.crt and its private key
# (PEM) in $scratch/<prefix>-ca.key.

require_keys() { # secret, then keys
  secret=$1; shift
  for key in "$@"; do
    [ -s "$existing/$secret/data/$key" ] || fail "Secret $secret exists but has no key $key"
  done
}

# The key of a provided CA, from its ca.key and ca.crt.
load_provided_ca() { # what, prefix, key Secret, certificate Secret, spec field
  missing=""
  [ -s "$existing/$4/data/ca.crt" ] || missing="$missing Secret $4 with the key ca.crt (the CA certificate, PEM);"
  [ -s "$existing/$3/data/ca.key" ] || missing="$missing Secret $3 with the key ca.key (its private key, PEM);"
  [ -z "$missing" ] || fail "spec.$5.generateCertificateAuthority is false, so the $1 is yours and kafkac" \
    "creates neither of its Secrets. Missing:$missing see the README, section Certificates."
  load_ca_key "$existing/$4/data/ca.crt" "$existing/$3/data/ca.key" "$ca_key" "$ca_crt" \
    "ca.key of Secret $3 and ca.crt of Secret $4"
}

# Sets ca_until, ca_id and ca_fingerprint from the CA certificate.
read_ca_certificate() { # what, PEM file
  ca_info=$(cert_info "$2") || fail "cannot read the $1 certificate"
  ca_until=$(echo "$ca_info" | cert_fact until)
  ca_id=$(echo "$ca_info" | cert_fact ski)
  ca_fingerprint=$(echo "$ca_info" | cert_fact fingerprint)
  [ -n "$ca_fingerprint" ] || fail "cannot read the $1 certificate"
  [ -n "$ca_id" ] || fail "the $1 certificate has no SubjectKeyIdentifier extension, which kafkac" \
    "needs to tell the certificates it signed"
}

# The extensions of a CA certificate. A renewed one also names its own key as
# the authority's, as the first certificate of a CA kafkac made does not.
ca_extensions() { # file, renewed (true or false)
  { echo 'basicConstraints = critical, CA:true'
    echo 'keyUsage = critical, keyCertSign, cRLSign'
    echo 'subjectKeyIdentifier = hash'
    [ "$2" = false ] || echo 'authorityKeyIdentifier = keyid:always'
  } > "$1"
}

# The CA's key store (alias ca, the key and its certificate), for Secret <CA>: ca.p12.
ca_key_store() { # prefix, key store, its password
  pem_key_store "$ca_crt" "$ca_key" "$2" ca "$3" "the $1 CA"
}

# A new self-signed certificate for the CA's key, with the subject of the
# current one (the same bytes), in place of the current one in the key store.
renew_ca_certificate() { # prefix, key store, its password, validity days
  openssl_quiet "make a request of the $1 CA certificate" x509 -x509toreq -in "$ca_crt" -signkey "$ca_key" \
    -out "$scratch/$1-ca.csr"
  ca_extensions "$scratch/$1-ca.ext" true
  sign_request "$scratch/$1-ca.csr" "$scratch/$1-ca.renewed" "$4" "$scratch/$1-ca.ext" "$ca_key" self
  cp "$scratch/$1-ca.renewed" "$ca_crt"
  ca_key_store "$1" "$2" "$3"
}

ensure_ca() { # what (for the log), prefix, key Secret, certificate Secret, subject, validity days, renewal days, generate (true or false), spec field
  what=$1; prefix=$2; ca_secret=$3; ca_cert_secret=$4; subject=$5; validity=$6; renewal=$7; generate=$8; field=$9
  ca_crt=$scratch/$prefix-ca.crt
  ca_key=$scratch/$prefix-ca.key
  ca_signer=$ca_crt
  ca_created=false
  ca_renewed=false
  write_key_secret=false
  if [ "$generate" = false ]; then
    load_provided_ca "$what" "$prefix" "$ca_secret" "$ca_cert_secret" "$field"
    log "$what: yours (spec.$field.generateCertificateAuthority: false), from Secrets $ca_secret and $ca_cert_secret"
  elif [ -d "$existing/$ca_secret" ]; then
    require_keys "$ca_secret" ca.p12 ca.password
    ca_store=$scratch/$prefix-ca.p12
    cp "$existing/$ca_secret/data/ca.p12" "$ca_store"
    ca_password=$(cat "$existing/$ca_secret/data/ca.password")
    export_certificate "$ca_store" "$ca_password" "$ca_crt"
    export_key "$ca_store" "$ca_password" "$ca_key"
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
    new_key_and_request "$ca_key" "$scratch/$prefix-ca.csr" "$subject"
    ca_extensions "$scratch/$prefix-ca.ext" false
    sign_request "$scratch/$prefix-ca.csr" "$ca_crt" "$validity" "$scratch/$prefix-ca.ext" "$ca_key" self
    ca_key_store "$prefix" "$ca_store" "$ca_password"
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
    cp "$ca_key" "$new/$ca_secret/data/ca.key"
    [ "$ca_created" = true ] || log "$what: updating Secret $ca_secret (ca.key, ca.p12, ca.password)"
  fi

  truststore_password=""
  if [ -d "$existing/$ca_cert_secret" ]; then
    require_keys "$ca_cert_secret" ca.crt
    published=$(cert_info "$existing/$ca_cert_secret/data/ca.crt" | cert_fact fingerprint) || true
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

# The node certificate and Kafka Exporter's, signed by the cluster CA (see
# leaf_reason and issue_leaf in tls-tools.sh), are issued anew, too, when the
# cluster CA is new or its certificate was renewed: their chains carry it.
cluster_leaf_reason() { # as leaf_reason
  if [ "$ca_created" = true ]; then
    reason="the cluster CA is new"; leaf_info=""; leaf_until=""
  elif [ "$ca_renewed" = true ]; then
    reason="the cluster CA certificate was renewed"; leaf_info=""; leaf_until=""
  else
    leaf_reason "$@"
  fi
}
