# Sourced by the Job steps that run Kafka's own tools (topics-sync.sh,
# users-apply.sh, rebalance-run.sh), after log.sh: a tool JVM that is small and
# quick to start, logging WARN and above in the chart's line format
# (tools-log4j2.properties), kafka_client_settings, kafka_configs, list_brokers,
# broker_count and wait_for_cluster (once the settings are written) and
# tool_error. It sets what its callers share: $kafka_home, $wait_seconds (how
# long to wait for the cluster) and $tab.

kafka_home=${KAFKA_HOME:-/opt/kafka}
wait_seconds=${KAFKAC_WAIT_SECONDS:-900}
tab=$(printf '\t')

export KAFKA_HEAP_OPTS="${KAFKAC_TOOL_HEAP_OPTS:--Xms16m -Xmx256m}"
export KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true"
export KAFKA_JMX_OPTS=" "
export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=${0%/*}/tools-log4j2.properties"
unset KAFKA_OPTS KAFKA_GC_LOG_OPTS JMX_PORT

# Writes the client's settings, readable by this user only, in $KAFKAC_CLIENT_DIR
# (memory): $client, the static ones ($KAFKAC_CLIENT_PROPERTIES) and the key
# store password (from $KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE), and $probe, the
# same with short timeouts for the questions asked while waiting for the cluster.
kafka_client_settings() {
  previous_umask=$(umask)
  umask 077
  client="$KAFKAC_CLIENT_DIR/client.properties"
  {
    printf '%s\n' "${KAFKAC_CLIENT_PROPERTIES:-}"
    if [ -n "${KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE:-}" ]; then
      password=$(properties_secret "$KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE")
      printf '%s=%s\n' ssl.keystore.password "$password" ssl.key.password "$password"
    fi
  } > "$client.new"
  mv "$client.new" "$client"
  probe="$KAFKAC_CLIENT_DIR/probe.properties"
  {
    cat "$client"
    printf 'request.timeout.ms=10000\ndefault.api.timeout.ms=15000\n'
  } > "$probe"
  umask "$previous_umask"
}

# The cluster's brokers as the metadata lists them (in KRaft mode, the unfenced
# ones): kafka-broker-api-versions.sh, in every Kafka release kafkac runs, into
# file $1, one "<host>:<port> (id: <id> rack: ...) -> (" line a broker; it
# fails as the tool does. broker_count reads how many brokers such a file lists.
list_brokers() { # file
  "$kafka_home/bin/kafka-broker-api-versions.sh" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" \
    --command-config "$probe" > "$1" 2>&1 < /dev/null
}
broker_count() { # file
  awk 'match($0, /\(id: [0-9]+ rack: /) { n[substr($0, RSTART + 5, RLENGTH - 12)] = 1 }
    END { c = 0; for (id in n) c++; print c }' "$1"
}

# Asks list_brokers into file $1 until check $2 (a function of that file) says
# enough brokers answer; a check that says no sets $problem. Waits with backoff
# (2 s, doubling to 30 s), and fails the step once $wait_seconds have passed.
wait_for_cluster() { # file, check
  deadline=$(( $(date +%s) + wait_seconds ))
  delay=2
  while :; do
    if list_brokers "$1"; then
      if "$2" "$1"; then return 0; fi
    else
      problem=$(tool_error "$1")
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log_error "the cluster did not get ready in ${wait_seconds}s: $problem"
      log_tail ERROR "$1"
      exit 1
    fi
    log "waiting for the cluster ($problem); next try in ${delay}s"
    sleep "$delay"
    delay=$((delay * 2))
    if [ "$delay" -gt 30 ]; then delay=30; fi
  done
}

kafka_configs() {
  "$kafka_home/bin/kafka-configs.sh" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" --command-config "$client" "$@"
}

# The message a failed tool run ends with: its exception, else its last line.
tool_error() { # file
  found=$(grep -v '^[[:space:]]*at ' "$1" | grep -E 'Exception: |Error while executing' | tail -n 1 |
    sed 's/^.*[.$]\([A-Za-z]*Exception: \)/\1/')
  if [ -z "$found" ]; then
    found=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)
  fi
  # Tabs would split a line of the topics Job's tab-separated results.
  printf '%s\n' "$found" | tr '\t' ' '
}
