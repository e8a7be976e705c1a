#!/bin/sh
# Makes the Secrets of the cluster's KafkaUsers, and keeps the TLS users'
# certificates current.
#
# Second step of the users Job, in the Kafka image (its openssl).
# certs-fetch.sh left the Secrets that exist in $KAFKAC_WORK_DIR/existing/
# (<secret>/data/<key>, <secret>/resourceVersion, <secret>/force-renew); this
# script writes what certs-store.sh must create or replace into
# $KAFKAC_WORK_DIR/new/ (<secret>/data/<key>, <secret>/action: create or
# replace, <secret>/resourceVersion, and `order`).
#
# A user's Secret is named <Secret prefix><user> (userOperator.secretPrefix of
# the Kafka; no prefix by default), <secret> below.
#
#   scram-sha-512  Secret <secret>: password, and sasl.jaas.config for Kafka
#                  clients. The password is the one in the Secret the user names
#                  (spec.authentication.password), else 32 random letters and digits.
#                  A SCRAM user's Secret that exists is kept as it is.
#   tls            Secret <secret>: a 2048-bit RSA key and a certificate CN=<user>
#                  signed by the clients CA: user.crt (PEM), user.key (PEM,
#                  unencrypted PKCS#8), user.p12 (PKCS#12, key and certificate
#                  chain), user.password, and ca.crt, the clients CA certificate.
#                  Renewed as Strimzi's User Operator renews it: a new key and
#                  certificate when the certificate expires within the user's
#                  renewal days (or has expired), is not signed by the current
#                  clients CA (its key identifier differs), when the Secret lacks
#                  a key or carries the annotation kafkac.io/force-renew=true;
#                  never valid past the clients CA certificate. When only the
#                  clients CA certificate was renewed (same key), the user's
#                  certificate still verifies, and only ca.crt is replaced.
#                  With a clients CA of type cert-manager.io ($KAFKAC_CERT_MANAGER
#                  true), cert-manager issues it into Secret <secret>-cm (the
#                  request step asked for it): it must verify against the
#                  clients CA certificates (ca.crt of the clients CA certificate
#                  Secret), and is copied with Strimzi's keys, user.crt holding
#                  cert-manager's chain; again whenever cert-manager renews it.
#
# A Secret that is current is kept as it is: running the Job again, or
# rendering the chart again, writes nothing. For the apply step it leaves each
# SCRAM user's password in $KAFKAC_WORK_DIR/scram/<user> and lists the SCRAM
# users whose Secret is new in $KAFKAC_WORK_DIR/scram/new: their credentials
# are (re)registered in Kafka.
#
# Inputs: $KAFKAC_FILES_DIR/users.tsv (name, authentication, principal, validity
# days, renewal days, password Secret and key, the user's Secret, tab-separated),
# read as data.
set -eu

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_FILES_DIR:?}"
: "${KAFKAC_CLIENTS_CA_SECRET:?}" "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}"
cert_manager=${KAFKAC_CERT_MANAGER:-false}

existing=$KAFKAC_WORK_DIR/existing
new=$KAFKAC_WORK_DIR/new
scram=$KAFKAC_WORK_DIR/scram
scratch=$KAFKAC_WORK_DIR/scratch
umask 077
rm -rf "$new" "$scram" "$scratch"
mkdir -p "$new" "$scram" "$scratch"
: > "$new/order"
: > "$scram/new"
tab=$(printf '\t')

log_name=kafkac-users
. "${0%/*}/log.sh"
. "${0%/*}/tls-tools.sh"
now=$(date -u +%s)

# A value inside a JAAS option's double quotes: backslash and quote escaped.
jaas_quoted() {
  printf '%s' "$1" | sed 's/[\\"]/\\&/g'
}

add_secret() { # name: the Secret whose data/ was just written
  echo create > "$new/$1/action"
  echo "$1" >> "$new/order"
}

scram_user() { # name, its Secret, password Secret, password key
  user=$1 secret=$2
  shift 2
  if [ -d "$existing/$secret" ]; then
    [ -s "$existing/$secret/data/password" ] || fail "Secret $secret exists but has no key password"
    cp "$existing/$secret/data/password" "$scram/$user"
    if [ "$1" != - ] && ! cmp -s "$existing/$secret/data/password" "$existing/$1/data/$2" 2>/dev/null; then
      log_warn "user $user: Secret $secret keeps its password, which differs from key $2 of" \
        "Secret $1; delete Secret $secret for the Job to take the new one"
    fi
    log "user $user: Secret $secret kept"
    return
  fi
  if [ "$1" = - ]; then
    password=$(new_password)
    how="a new random password"
  else
    [ -s "$existing/$1/data/$2" ] || fail "user $user: the password Secret $1 does not exist or has no key $2"
    password=$(cat "$existing/$1/data/$2")
    case $password in
      *'
'*) fail "user $user: key $2 of Secret $1 holds more than one line" ;;
    esac
    how="the password from Secret $1"
  fi
  mkdir -p "$new/$secret/data"
  printf '%s' "$password" > "$new/$secret/data/password"
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' \
    "$user" "$(jaas_quoted "$password")" > "$new/$secret/data/sasl.jaas.config"
  add_secret "$secret"
  printf '%s' "$password" > "$scram/$user"
  echo "$user" >> "$scram/new"
  log "user $user: creating Secret $secret with $how"
}

# The clients CA certificate, for checking the users' certificates (see
# leaf_reason in tls-tools.sh): ca_crt, ca_id and ca_until.
ca_name="clients CA"
clients_ca_read=false
read_clients_ca() {
  [ "$clients_ca_read" = true ] && return
  [ -s "$existing/$KAFKAC_CLIENTS_CA_CERT_SECRET/data/ca.crt" ] ||
    fail "Secret $KAFKAC_CLIENTS_CA_CERT_SECRET has no ca.crt: has the certificates Job run?"
  ca_crt=$scratch/clients-ca.crt
  tr -d '\r' < "$existing/$KAFKAC_CLIENTS_CA_CERT_SECRET/data/ca.crt" > "$ca_crt"
  clients_ca_read=true
  if [ "$cert_manager" = true ]; then
    # cert-manager's CA certificates, trusted as a bundle: what issued_leaf checks against.
    ca_trust="the clients CA certificates (ca.crt of Secret $KAFKAC_CLIENTS_CA_CERT_SECRET)"
    ca_trust_hint="The certificates Job copies them there from spec.clientsCa.certManager.caCert:"
    ca_trust_hint="$ca_trust_hint it must hold the certificate(s) of the CA your issuer signs with."
    return 0
  fi
  ca_info=$(cert_info "$ca_crt") || fail "cannot read ca.crt of Secret $KAFKAC_CLIENTS_CA_CERT_SECRET"
  ca_until=$(echo "$ca_info" | cert_fact until)
  ca_id=$(echo "$ca_info" | cert_fact ski)
  [ -n "$ca_id" ] || fail "the clients CA certificate has no SubjectKeyIdentifier extension, which kafkac" \
    "needs to tell the certificates it signed"
}

# The clients CA's private key, for signing: from ca.p12 of a CA kafkac
# generated, or ca.key of a CA the user provides (Strimzi's keys), checked to be
# the key of ca.crt. Sets ca_key, and ca_signer to the certificate of that key.
clients_ca_key_ready=false
load_clients_ca_key() {
  [ "$clients_ca_key_ready" = true ] && return
  ca_dir=$existing/$KAFKAC_CLIENTS_CA_SECRET/data
  ca_key=$scratch/clients-ca.key
  ca_signer=$ca_crt
  if [ -s "$ca_dir/ca.p12" ] && [ -s "$ca_dir/ca.password" ]; then
    export_key "$ca_dir/ca.p12" "$(cat "$ca_dir/ca.password")" "$ca_key"
  elif [ -s "$ca_dir/ca.key" ]; then
    load_ca_key "$ca_crt" "$ca_dir/ca.key" "$ca_key" "$scratch/clients-ca-signing.crt" \
      "ca.key of Secret $KAFKAC_CLIENTS_CA_SECRET and ca.crt of Secret $KAFKAC_CLIENTS_CA_CERT_SECRET"
    ca_signer=$scratch/clients-ca-signing.crt
  else
    fail "Secret $KAFKAC_CLIENTS_CA_SECRET (the clients CA) has neither ca.key nor ca.p12 and ca.password:" \
      "has the certificates Job run?"
  fi
  clients_ca_key_ready=true
}

# A user's Secret to replace, at the resourceVersion that was read.
replace_secret() { # name: the Secret whose data/ was just written
  echo replace > "$new/$1/action"
  cp "$existing/$1/resourceVersion" "$new/$1/resourceVersion"
  echo "$1" >> "$new/order"
}

# The user's ca.crt is the current clients CA certificate (line ends aside).
has_current_ca() { # the user's Secret
  tr -d '\r' < "$existing/$1/data/ca.crt" | cmp -s - "$ca_crt"
}

# Keeps ca.crt of a user's Secret whose certificate is current up to date: the
# clients CA certificate renewed for the same key (or, with cert-manager, the
# CA certificates to trust changed) leaves the user's certificate valid.
refresh_ca() { # user, its Secret
  user=$1 secret=$2
  if has_current_ca "$secret"; then
    log "user $user: Secret $secret kept (its certificate is valid until $(utc_date "$leaf_until"))"
    return
  fi
  mkdir -p "$new/$secret/data"
  cp "$existing/$secret/data/"* "$new/$secret/data/"
  cp "$ca_crt" "$new/$secret/data/ca.crt"
  replace_secret "$secret"
  log "user $user: updating ca.crt in Secret $secret to the current clients CA certificate; the user's" \
    "certificate still verifies against it and is kept (valid until $(utc_date "$leaf_until"))"
}

# The certificate cert-manager issued into Secret <secret>-cm, copied with Strimzi's keys.
cert_manager_user() { # name, its Secret
  user=$1 secret=$2
  read_clients_ca
  issued_leaf "user $user's certificate" "$secret" user.crt "$user" sslclient \
    ca.crt user.crt user.key user.p12 user.password
  if [ -z "$reason" ]; then
    refresh_ca "$user" "$secret"
    return
  fi
  leaf_password=$(new_password)
  mkdir -p "$new/$secret/data"
  pem_key_store "$scratch/$user.chain" "$scratch/$user.key" "$new/$secret/data/user.p12" "$user" \
    "$leaf_password" "Secret $secret-cm"
  cp "$scratch/$user.chain" "$new/$secret/data/user.crt"
  openssl pkey -in "$scratch/$user.key" -out "$new/$secret/data/user.key"
  cp "$ca_crt" "$new/$secret/data/ca.crt"
  printf '%s' "$leaf_password" > "$new/$secret/data/user.password"
  if [ -d "$existing/$secret" ]; then
    replace_secret "$secret"
    log "user $user: updating Secret $secret with the certificate cert-manager issued, because $reason"
  else
    add_secret "$secret"
    log "user $user: creating Secret $secret with the certificate cert-manager issued (Secret $secret-cm," \
      "valid until $(utc_date "$leaf_until"))"
  fi
}

tls_user() { # name, its Secret, validity days, renewal days
  user=$1 secret=$2
  case $3$4 in
    ''|*[!0-9]*) fail "user $user: the validity and renewal days must be whole numbers of days" ;;
  esac
  read_clients_ca
  leaf_reason "user $user's certificate" "$secret" user.crt "$4" : ca.crt user.crt user.key user.p12 user.password
  if [ -z "$reason" ]; then
    refresh_ca "$user" "$secret"
    return
  fi
  load_clients_ca_key
  issue_leaf "$user" "CN=$user" "$3" clientAuth ""
  mkdir -p "$new/$secret/data"
  cp "$leaf_store" "$new/$secret/data/user.p12"
  cp "$scratch/$user.crt" "$new/$secret/data/user.crt"
  cp "$ca_crt" "$new/$secret/data/ca.crt"
  printf '%s' "$leaf_password" > "$new/$secret/data/user.password"
  cp "$scratch/$user.key" "$new/$secret/data/user.key"
  if [ -d "$existing/$secret" ]; then
    replace_secret "$secret"
    log "user $user: re-issuing its certificate (a new key, CN=$user, valid $days days, signed by the" \
      "clients CA), because $reason"
  else
    add_secret "$secret"
    log "user $user: creating Secret $secret with a certificate CN=$user, valid $days days, signed by the clients CA"
  fi
}

while IFS="$tab" read -r name authentication _principal validity renewal password_secret password_key secret; do
  [ -n "$name" ] || continue
  case $authentication in
    scram-sha-512) scram_user "$name" "$secret" "$password_secret" "$password_key" ;;
    tls)
      if [ "$cert_manager" = true ]; then
        cert_manager_user "$name" "$secret"
      else
        tls_user "$name" "$secret" "$validity" "$renewal"
      fi ;;
    *) log "user $name: no Secret ($authentication authentication)" ;;
  esac
done < "$KAFKAC_FILES_DIR/users.tsv"
rm -rf "$scratch"
