# Sourced by certs-issue.sh, after certs-stage.sh and certs-ca.sh: the JMX
# credentials of spec.kafka.jmxOptions (authentication type password), in the
# Secret Strimzi keeps them in: jmx-username and jmx-password, both random. They
# are made only when the Secret is absent; an existing one is never changed, so
# the JMX clients that use it keep working. One a person made must hold both keys.
jmx_credentials() { # Secret
  if [ -d "$existing/$1" ]; then
    require_keys "$1" jmx-username jmx-password
    log "JMX credentials: kept (Secret $1 exists)"
    return
  fi
  stage_secret "$1"
  new_password > "$new/$1/data/jmx-username"
  new_password > "$new/$1/data/jmx-password"
  log "JMX credentials: made, for Secret $1"
}
