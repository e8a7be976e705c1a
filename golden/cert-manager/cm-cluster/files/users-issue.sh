#!/bin/sh
# Makes the Secrets of the cluster's KafkaUsers that do not exist yet.
#
# Second step of the users Job, in the Kafka image (its JRE's keytool, and openssl).
# certs-fetch.sh left the Secrets that exist in $KAFKAC_WORK_DIR/existing/
# (<secret>/data/<key>); this script writes what certs-store.sh must create into
# $KAFKAC_WORK_DIR/new/ (<secret>/data/<key>, <secret>/action, and `order`).
#
#   scram-sha-512  Secret <user>: password, and sasl.jaas.config for Kafka
#                  clients. The password is the one in the Secret the user names
#                  (spec.authentication.password), else 32 random letters and digits.
#   tls            Secret <user>: a 2048-bit RSA key and a certificate CN=<user>
#                  signed by the clients CA: user.crt (PEM), user.key (PEM,
#                  unencrypted PKCS#8), user.p12 (PKCS#12, key and certificate
#                  chain), user.password, and ca.crt, the clients CA certificate.
#
# A Secret that exists is kept as it is, whatever it holds: running the Job
# again, or rendering the chart again, changes nothing. For the apply step it
# leaves each SCRAM user's password in $KAFKAC_WORK_DIR/scram/<user> and lists
# the SCRAM users whose Secret is new in $KAFKAC_WORK_DIR/scram/new: their
# credentials are (re)registered in Kafka.
#
# Inputs: $KAFKAC_FILES_DIR/users.tsv (name, authentication, principal, validity
# days, renewal days, password Secret and key, tab-separated), read as data.
set -eu

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_FILES_DIR:?}"
: "${KAFKAC_CLIENTS_CA_SECRET:?}" "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}"

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

# A value inside a JAAS option's double quotes: backslash and quote escaped.
jaas_quoted() {
  printf '%s' "$1" | sed 's/[\\"]/\\&/g'
}

add_secret() { # name: the Secret whose data/ was just written
  echo create > "$new/$1/action"
  echo "$1" >> "$new/order"
}

scram_user() { # name, password Secret, password key
  user=$1
  if [ -d "$existing/$user" ]; then
    [ -s "$existing/$user/data/password" ] || fail "Secret $user exists but has no key password"
    cp "$existing/$user/data/password" "$scram/$user"
    if [ "$2" != - ] && ! cmp -s "$existing/$user/data/password" "$existing/$2/data/$3" 2>/dev/null; then
      log_warn "user $user: Secret $user keeps its password, which differs from key $3 of" \
        "Secret $2; delete Secret $user for the Job to take the new one"
    fi
    log "user $user: Secret $user kept"
    return
  fi
  if [ "$2" = - ]; then
    password=$(new_password)
    how="a new random password"
  else
    [ -s "$existing/$2/data/$3" ] || fail "user $user: the password Secret $2 does not exist or has no key $3"
    password=$(cat "$existing/$2/data/$3")
    case $password in
      *'
'*) fail "user $user: key $3 of Secret $2 holds more than one line" ;;
    esac
    how="the password from Secret $2"
  fi
  mkdir -p "$new/$user/data"
  printf '%s' "$password" > "$new/$user/data/password"
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' \
    "$user" "$(jaas_quoted "$password")" > "$new/$user/data/sasl.jaas.config"
  add_secret "$user"
  printf '%s' "$password" > "$scram/$user"
  echo "$user" >> "$scram/new"
  log "user $user: creating Secret $user with $how"
}

# The clients CA's key store: ca.p12 of a CA kafkac generated, or one made in
# scratch from ca.key and ca.crt of a CA the user provides (Strimzi's keys).
clients_ca_ready=false
load_clients_ca() {
  [ "$clients_ca_ready" = true ] && return
  ca_dir=$existing/$KAFKAC_CLIENTS_CA_SECRET/data
  [ -s "$existing/$KAFKAC_CLIENTS_CA_CERT_SECRET/data/ca.crt" ] ||
    fail "Secret $KAFKAC_CLIENTS_CA_CERT_SECRET has no ca.crt: has the certificates Job run?"
  tr -d '\r' < "$existing/$KAFKAC_CLIENTS_CA_CERT_SECRET/data/ca.crt" > "$scratch/clients-ca.crt"
  if [ -s "$ca_dir/ca.p12" ] && [ -s "$ca_dir/ca.password" ]; then
    ca_store=$ca_dir/ca.p12
    ca_password=$(cat "$ca_dir/ca.password")
  elif [ -s "$ca_dir/ca.key" ]; then
    ca_store=$scratch/clients-ca.p12
    import_ca_key "$scratch/clients-ca.crt" "$ca_dir/ca.key" "$ca_store" \
      "ca.key of Secret $KAFKAC_CLIENTS_CA_SECRET and ca.crt of Secret $KAFKAC_CLIENTS_CA_CERT_SECRET"
  else
    fail "Secret $KAFKAC_CLIENTS_CA_SECRET (the clients CA) has neither ca.key nor ca.p12 and ca.password:" \
      "has the certificates Job run?"
  fi
  clients_ca_ready=true
}

tls_user() { # name, validity days
  user=$1
  if [ -d "$existing/$user" ]; then
    for key in ca.crt user.crt user.p12 user.password; do
      [ -s "$existing/$user/data/$key" ] || fail "Secret $user exists but has no key $key"
    done
    log "user $user: Secret $user kept"
    return
  fi
  load_clients_ca
  store=$scratch/$user.p12
  password=$(new_password)
  keytool_quiet -genkeypair -alias "$user" -keyalg RSA -keysize 2048 -dname "CN=$user" \
    -keystore "$store" -storetype PKCS12 -storepass "$password"
  keytool_quiet -certreq -alias "$user" -keystore "$store" -storetype PKCS12 -storepass "$password" \
    -file "$scratch/$user.csr"
  keytool_quiet -gencert -alias ca -keystore "$ca_store" -storetype PKCS12 -storepass "$ca_password" \
    -infile "$scratch/$user.csr" -outfile "$scratch/$user.crt.export" -rfc -startdate -1H -validity "$2" \
    -ext KU:c=digitalSignature,keyEncipherment -ext EKU=clientAuth
  tr -d '\r' < "$scratch/$user.crt.export" > "$scratch/$user.crt"
  # The signed certificate with its chain (user, clients CA) under the key.
  keytool_quiet -importcert -noprompt -alias ca -file "$scratch/clients-ca.crt" \
    -keystore "$store" -storetype PKCS12 -storepass "$password"
  keytool_quiet -importcert -noprompt -alias "$user" -file "$scratch/$user.crt" \
    -keystore "$store" -storetype PKCS12 -storepass "$password"
  keytool_quiet -delete -alias ca -keystore "$store" -storetype PKCS12 -storepass "$password"
  mkdir -p "$new/$user/data"
  cp "$store" "$new/$user/data/user.p12"
  cp "$scratch/$user.crt" "$new/$user/data/user.crt"
  cp "$scratch/clients-ca.crt" "$new/$user/data/ca.crt"
  printf '%s' "$password" > "$new/$user/data/user.password"
  export_key "$store" "$password" "$new/$user/data/user.key"
  add_secret "$user"
  log "user $user: creating Secret $user with a certificate CN=$user, valid $2 days, signed by the clients CA"
}

while IFS="$tab" read -r name authentication _principal validity _renewal secret key; do
  [ -n "$name" ] || continue
  case $authentication in
    scram-sha-512) scram_user "$name" "$secret" "$key" ;;
    tls) tls_user "$name" "$validity" ;;
    *) log "user $name: no Secret ($authentication authentication)" ;;
  esac
done < "$KAFKAC_FILES_DIR/users.tsv"
rm -rf "$scratch"
