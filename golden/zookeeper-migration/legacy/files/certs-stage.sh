# Sourced by certs-issue.sh, after log.sh and tls-tools.sh: the Secrets to
# write, staged for certs-store.sh in $new/<Secret>/ (data/<key>, action:
# create or replace, resourceVersion) and listed in $new/order in the order
# they must be written.

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
  pem_trust_store "$stage_store" "$stage_password" "$@"
  stage_secret "$stage"
  cp "$stage_pem" "$new/$stage/data/ca.crt"
  cp "$stage_store" "$new/$stage/data/ca.p12"
  printf '%s' "$stage_password" > "$new/$stage/data/ca.password"
}

# Stages a leaf certificate's Secret whose keys are in $new/<Secret>/data, and
# logs why ($reason).
queue_leaf_secret() { # what (for the log), Secret
  stage_secret "$2"
  if [ -d "$existing/$2" ]; then
    if [ -n "$trust_secret" ]; then
      log "$1: updating it, because $reason"
    else
      log "$1: re-issuing it with the existing cluster CA, because $reason"
    fi
  else
    log "$1: issuing it, because $reason"
  fi
}
