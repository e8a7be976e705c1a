#!/bin/sh
# Starts one Kafka Connect worker of a kafkac chart.
#
# The worker's properties come from the chart's ConfigMap; this script adds what
# depends on the pod (the host name other workers reach its REST API at, and
# its rack), joins the trusted certificates into one PEM file, and execs Kafka's
# connect-distributed.sh. Passwords and keys are never read here: the worker
# reads them from their mounted Secrets through its DirectoryConfigProvider.
# Every input is an environment variable set by the pod spec: values are used
# as data, never evaluated.
set -eu

: "${POD_NAME:?POD_NAME must be set from the pod name}"
: "${POD_NAMESPACE:?POD_NAMESPACE must be set from the pod namespace}"
: "${KAFKAC_HEADLESS_SERVICE:?}"
kafka_home=${KAFKA_HOME:-/opt/kafka}
config_dir=${KAFKAC_CONFIG_DIR:-/opt/kafka/custom-config}
work_dir=${KAFKAC_WORK_DIR:-/tmp/kafka}
log_name=connect-run
. "${0%/*}/log.sh"

mkdir -p "$work_dir"
properties="$work_dir/connect.properties"
cp "$config_dir/worker.properties" "$properties"
printf '\nrest.advertised.host.name=%s.%s.%s.svc\n' "$POD_NAME" "$KAFKAC_HEADLESS_SERVICE" "$POD_NAMESPACE" \
  >> "$properties"

# The rack: from the file the rack init container wrote, or from a variable.
rack=""
if [ -n "${KAFKAC_RACK_FILE:-}" ]; then
  [ -s "$KAFKAC_RACK_FILE" ] || fail "the rack init container wrote no rack to $KAFKAC_RACK_FILE"
  rack=$(cat "$KAFKAC_RACK_FILE")
elif [ -n "${KAFKAC_RACK_ENV_VAR:-}" ]; then
  rack=$(printenv "$KAFKAC_RACK_ENV_VAR" || true)
  [ -n "$rack" ] || fail "the rack variable $KAFKAC_RACK_ENV_VAR is empty or not set"
fi
if [ -n "$rack" ]; then
  case $rack in
    *[!A-Za-z0-9._-]*) fail "rack '$rack' holds characters other than letters, digits, '.', '_' and '-'" ;;
  esac
  printf 'consumer.client.rack=%s\n' "$rack" >> "$properties"
fi

# Trusted certificates: each entry is a file, or a pattern of files, of a mounted
# Secret; every match goes into one PEM trust store.
join_certificates() { # trust store, entries...
  store=$1; shift
  : > "$store"
  for entry in "$@"; do
    found=0
    for file in $entry; do
      [ -f "$file" ] || continue
      cat "$file" >> "$store"
      printf '\n' >> "$store"
      found=1
    done
    [ "$found" = 1 ] || fail "no trusted certificate matches ${entry##*/} in Secret $(basename "${entry%/*}")"
  done
  log "trusting the certificates of $(grep -c 'BEGIN CERTIFICATE' "$store") PEM block(s) in ${store##*/}"
}
if [ -n "${KAFKAC_TRUSTSTORE:-}" ]; then
  # shellcheck disable=SC2086 # entries are split on blanks, patterns expanded in the function
  join_certificates "$KAFKAC_TRUSTSTORE" ${KAFKAC_TRUSTED_CERTIFICATES:-}
fi
# The trust stores of the other clusters the connectors reach (MirrorMaker 2's sources):
# a line each, the trust store then its entries.
if [ -n "${KAFKAC_CLUSTER_TRUSTSTORES:-}" ]; then
  printf '%s\n' "$KAFKAC_CLUSTER_TRUSTSTORES" > "$work_dir/cluster-truststores.txt"
  while read -r line; do
    [ -n "$line" ] || continue
    # shellcheck disable=SC2086
    join_certificates $line
  done < "$work_dir/cluster-truststores.txt"
fi

# The worker's KAFKA_OPTS: the container's own (a Java agent of template.connectContainer.env, kept
# as Strimzi's kafka_connect_run.sh keeps it), then jvmOptions.javaSystemProperties, then the
# metrics javaagent.
for options in "${KAFKAC_JAVA_SYSTEM_PROPERTIES:-}" "${KAFKAC_METRICS_AGENT_OPTS:-}"; do
  [ -z "$options" ] || KAFKA_OPTS="${KAFKA_OPTS:+$KAFKA_OPTS }$options"
done
[ -z "${KAFKA_OPTS:-}" ] || export KAFKA_OPTS
# Strimzi's metrics reporter and the Prometheus client it runs on, copied by an init container.
if [ -n "${KAFKAC_METRICS_CLASSPATH:-}" ]; then
  CLASSPATH="${CLASSPATH:+$CLASSPATH:}$KAFKAC_METRICS_CLASSPATH"
  export CLASSPATH
fi
log "starting worker $POD_NAME"
exec "$kafka_home/bin/connect-distributed.sh" "$properties"
