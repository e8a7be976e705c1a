#!/bin/sh
# Starts one Kafka node of a kafkac chart.
#
# The node's static configuration comes from the pool's ConfigMap; this script
# adds what depends on the pod's identity (its node id, DNS name and data
# directories) and the password of the node certificate's key store (from its
# Secret, never from the ConfigMap), formats KRaft storage on first start only,
# opens JMX when asked, and then execs Kafka.
# Every input is an environment variable set by the pod spec: values are used
# as data, never evaluated.
set -eu

: "${POD_NAME:?POD_NAME must be set from the pod name}"
: "${POD_NAMESPACE:?POD_NAMESPACE must be set from the pod namespace}"
: "${KAFKAC_CLUSTER_ID:?}" "${KAFKAC_HEADLESS_SERVICE:?}"
# With ZooKeeper (Kafka 3.x) the broker registers there under broker.id, and
# there is no KRaft quorum to name nor storage to format.
zookeeper_mode=${KAFKAC_ZOOKEEPER_MODE:-false}
[ "$zookeeper_mode" = true ] || : "${KAFKAC_CONTROLLER_VOTERS:?}"
# A ZooKeeper client: a ZooKeeper-mode broker, or a controller migrating from ZooKeeper.
zookeeper_client=${KAFKAC_ZOOKEEPER_CLIENT:-$zookeeper_mode}
: "${KAFKAC_LOG_DIRS:?}"
kafka_home=${KAFKA_HOME:-/opt/kafka}
config_dir=${KAFKAC_CONFIG_DIR:-/opt/kafka/custom-config}
certificates_dir=${KAFKAC_CERTIFICATES_DIR:-/opt/kafka/certificates}
node_certs_dir=${KAFKAC_NODE_CERTS_DIR:-/opt/kafka/node-certs}
cluster_ca_certs_dir=${KAFKAC_CLUSTER_CA_CERTS_DIR:-/opt/kafka/cluster-ca-certs}
work_dir=${KAFKAC_WORK_DIR:-/tmp/kafka}
log_name=kafka-run
. "${0%/*}/log.sh"
. "${0%/*}/node-client.sh"

# A StatefulSet pod is named <statefulset>-<ordinal>; ordinals start at the
# pool's first node id, so the ordinal is the node id.
node_id=${POD_NAME##*-}
case $node_id in
  ''|*[!0-9]*) fail "cannot read a node id from pod name $POD_NAME" ;;
esac

pod_address() { # pod-name dns-suffix
  echo "$1.$KAFKAC_HEADLESS_SERVICE.$POD_NAMESPACE.$2"
}

join() { # separator, then words
  separator=$1; shift
  result=""
  for word in "$@"; do result="${result:+$result$separator}$word"; done
  echo "$result"
}

log_dirs=""
for dir in $KAFKAC_LOG_DIRS; do
  log_dirs=$(join , $log_dirs "$dir/kafka-log$node_id")
done

# A static quorum names its voters; a dynamic one (KIP-853) only where to find
# them, and its controllers join it.
quorum=${KAFKAC_CONTROLLER_QUORUM:-static}
voters=""
bootstrap_servers=""
other_controllers=""
lowest_controller=""
is_controller=false
for voter in ${KAFKAC_CONTROLLER_VOTERS:-}; do # <id>@<pod>:<port>
  id=${voter%%@*}; rest=${voter#*@}
  address=$(pod_address "${rest%%:*}" svc):${rest##*:}
  voters=$(join , $voters "$id@$address")
  bootstrap_servers=$(join , $bootstrap_servers "$address")
  if [ "$id" = "$node_id" ]; then
    is_controller=true
  else
    other_controllers=$(join , $other_controllers "$address")
  fi
  if [ -z "$lowest_controller" ] || [ "$id" -lt "$lowest_controller" ]; then
    lowest_controller=$id
  fi
done

advertised=""
for listener in ${KAFKAC_ADVERTISED_LISTENERS:-}; do # <name>:<port>:<dns suffix>
  name=${listener%%:*}; rest=${listener#*:}
  advertised=$(join , $advertised "$name://$(pod_address "$POD_NAME" "${rest#*:}"):${rest%%:*}")
done

# Listeners with Services of their own advertise what the spec pins, from the
# pool's ConfigMap (<node id> <listener> <host> <port> <dns suffix>), and what
# the address init container found (<listener> <host> <port>) where it has "-".
# A host with a DNS suffix is a Service name, completed with the namespace.
for listener in ${KAFKAC_EXTERNAL_LISTENERS:-}; do
  read -r host port suffix <<EOF
$(awk -v node="$node_id" -v name="$listener" '$1 == node && $2 == name { print $3, $4, $5; exit }' \
    "${KAFKAC_PINNED_ADDRESSES_FILE:?}")
EOF
  if [ -z "${suffix:-}" ]; then
    fail "$KAFKAC_PINNED_ADDRESSES_FILE has no address of node $node_id on $listener"
  fi
  if [ "$host" = - ] || [ "$port" = - ]; then
    read -r found_host found_port <<EOF
$(awk -v name="$listener" '$1 == name { print $2, $3; exit }' "${KAFKAC_DISCOVERED_ADDRESSES_FILE:?}")
EOF
    if [ -z "${found_port:-}" ]; then
      fail "the address init container found no address on $listener"
    fi
    [ "$host" != - ] || host=$found_host
    [ "$port" != - ] || port=$found_port
  fi
  [ "$suffix" = - ] || host=$host.$POD_NAMESPACE.$suffix
  case $host in
    *:*) host="[$host]" ;; # an IPv6 address
  esac
  advertised=$(join , $advertised "$listener://$host:$port")
done

# broker.rack: from the file the rack init container wrote, or from a variable.
rack=""
if [ -n "${KAFKAC_RACK_FILE:-}" ]; then
  rack=$(cat "$KAFKAC_RACK_FILE")
elif [ -n "${KAFKAC_RACK_ENV_VAR:-}" ]; then
  rack=$(printenv "$KAFKAC_RACK_ENV_VAR" || true)
fi
case $rack in
  *'
'*) fail "the rack id must be one line" ;;
esac

mkdir -p "$work_dir"
umask 077
# Kafka reads a PEM key store as one file holding the key and its certificate chain.
for listener in ${KAFKAC_CUSTOM_CERT_LISTENERS:-}; do
  cat "$certificates_dir/$listener/tls.key" "$certificates_dir/$listener/tls.crt" > "$work_dir/$listener.pem"
done

# The node certificate's key store password, as a properties value. It goes
# only into the file below, in the pod's private scratch space.
node_password=""
if [ -n "${KAFKAC_NODE_CERT_LISTENERS:-}" ]; then
  node_password=$(properties_secret "$node_certs_dir/node.password")
fi

properties="$work_dir/server.properties"
{
  cat "$config_dir/server.properties"
  echo "# Added by kafka-run.sh for pod $POD_NAME"
  if [ "$zookeeper_mode" = true ]; then
    echo "broker.id=$node_id"
  else
    echo "node.id=$node_id"
  fi
  echo "log.dirs=$log_dirs"
  if [ -n "${KAFKAC_METADATA_LOG_DIR:-}" ]; then
    echo "metadata.log.dir=$KAFKAC_METADATA_LOG_DIR/kafka-log$node_id"
  fi
  if [ "$zookeeper_mode" = true ]; then
    # During the migration from ZooKeeper the brokers register with the KRaft controllers too.
    if [ -n "$voters" ]; then
      echo "controller.quorum.voters=$voters"
    fi
  elif [ "$quorum" = dynamic ]; then
    echo "controller.quorum.bootstrap.servers=$bootstrap_servers"
  else
    echo "controller.quorum.voters=$voters"
  fi
  if [ -n "$advertised" ]; then
    echo "advertised.listeners=$advertised"
  fi
  if [ -n "$rack" ]; then
    echo "broker.rack=$rack"
  fi
  for listener in ${KAFKAC_NODE_CERT_LISTENERS:-}; do
    echo "listener.name.$listener.ssl.keystore.password=$node_password"
    echo "listener.name.$listener.ssl.key.password=$node_password"
  done
  if [ "$zookeeper_client" = true ]; then
    printf '%s=%s\n' zookeeper.ssl.keystore.password "$node_password"
  fi
} > "$properties"

# Runs a Kafka tool in a JVM that is small, quick to start, and has none of the server's options.
tool_jvm() {
  KAFKA_HEAP_OPTS="-Xms16m -Xmx128m" KAFKA_OPTS="" KAFKA_LOG4J_OPTS="" KAFKA_JMX_OPTS=" " JMX_PORT="" \
    KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true" \
    "$@"
}

# Whether the controllers other than this one have a quorum leader: they answer
# kafka-metadata-quorum on the controller listener, to this node's certificate,
# within about 20 seconds.
quorum_answers() {
  [ -n "$other_controllers" ] || return 1
  client_config="$work_dir/quorum-client.properties"
  node_client_properties 5000 20000 2000 > "$client_config"
  tool_jvm "$kafka_home/bin/kafka-metadata-quorum.sh" --bootstrap-controller "$other_controllers" \
    --command-config "$client_config" describe "--${1:-status}" > "$work_dir/quorum.out" 2>&1
}

# The other controllers' answer to kafka-metadata-quorum describe --replication, in quorum.out.
quorum_answers_replication() {
  quorum_answers replication
}

# How a controller of a dynamic quorum formats an empty metadata directory: the
# lowest node id starts the quorum alone (--standalone) on a first install, when
# no other controller answers; every other controller, and that one when the
# quorum already runs (its disk was replaced), starts with no voters and joins
# by itself (controller.quorum.auto.join.enable).
metadata_dir=${KAFKAC_METADATA_LOG_DIR:+$KAFKAC_METADATA_LOG_DIR/kafka-log$node_id}
metadata_dir=${metadata_dir:-${log_dirs%%,*}}
initial_controllers=--no-initial-controllers
if [ "$quorum" = dynamic ] && [ "$node_id" = "$lowest_controller" ]; then
  if [ -e "$metadata_dir/meta.properties" ]; then
    : # formatted: --ignore-formatted keeps it
  elif quorum_answers; then
    log "the controller quorum answers: controller $node_id joins it"
  else
    log "no other controller answers: controller $node_id starts the quorum alone"
    initial_controllers=--standalone
  fi
fi

# The cluster id ZooKeeper keeps in /cluster/id, which its brokers made on their first start:
# the controllers that take over its metadata must be formatted with it.
zookeeper_cluster_id() {
  tool_jvm "$kafka_home/bin/kafka-run-class.sh" org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka \
    -server "$(sed -n 's/^zookeeper\.connect=//p' "$properties" | tail -n 1)" \
    -zk-tls-config-file "$properties" get /cluster/id > "$work_dir/zookeeper-cluster-id.out" 2>&1 || true
  # {"version":"1","id":"<cluster id>"}
  sed -n 's/.*"id" *: *"\([A-Za-z0-9_-]*\)".*/\1/p' "$work_dir/zookeeper-cluster-id.out" | head -n 1
}

# A formatted directory keeps the cluster id it has: a node that came from ZooKeeper (a broker
# leaving it, a controller of the migration) has ZooKeeper's, not the chart's.
cluster_id=$KAFKAC_CLUSTER_ID
if [ -e "$metadata_dir/meta.properties" ]; then
  cluster_id=$(sed -n 's/^cluster\.id=//p' "$metadata_dir/meta.properties" | tail -n 1)
  cluster_id=${cluster_id:-$KAFKAC_CLUSTER_ID}
elif [ "${KAFKAC_CLUSTER_ID_FROM_ZOOKEEPER:-false}" = true ]; then
  cluster_id=$(zookeeper_cluster_id)
  if [ -z "$cluster_id" ]; then
    log_error "cannot read the cluster id from ZooKeeper's /cluster/id:"
    log_tail ERROR "$work_dir/zookeeper-cluster-id.out"
    exit 1
  fi
  log "the migration from ZooKeeper: formatting with ZooKeeper's cluster id $cluster_id"
fi

format_storage() {
  # --ignore-formatted keeps existing data: only an empty directory is formatted.
  set -- --cluster-id "$cluster_id" --config "$properties" --ignore-formatted
  if [ -n "${KAFKAC_METADATA_VERSION:-}" ]; then
    set -- "$@" --release-version "$KAFKAC_METADATA_VERSION"
  fi
  if [ "$quorum" = dynamic ] && [ "$is_controller" = true ]; then
    set -- "$@" "$initial_controllers"
  fi
  # The tool prints plain lines: each becomes an event.
  if "$kafka_home/bin/kafka-storage.sh" format "$@" > "$work_dir/format.out" 2>&1; then
    while IFS= read -r text; do log "kafka-storage format: $text"; done < "$work_dir/format.out"
  else
    log_error "kafka-storage format failed:"
    log_tail ERROR "$work_dir/format.out"
    exit 1
  fi
}
# A ZooKeeper-mode broker writes its meta.properties itself, with ZooKeeper's cluster id.
[ "$zookeeper_mode" = true ] || format_storage

# The brokers (node ids) that do not read the metadata log yet: while the other controllers,
# still in migration mode, answer, every broker that is not an observer of their quorum.
brokers_in_zookeeper() {
  [ -n "$other_controllers" ] || return 0
  quorum_answers_replication || return 0
  for broker in $KAFKAC_MIGRATION_BROKER_IDS; do
    awk -v id="$broker" '$1 == id && $NF == "Observer" { found = 1 } END { exit !found }' \
      "$work_dir/quorum.out" || printf '%s ' "$broker"
  done
}

# The end of the migration from ZooKeeper: a controller leaves migration mode only once every
# broker has left ZooKeeper and reads the metadata log, as Kafka's migration requires. It does
# not wait when no other controller answers (a first install has nothing to wait for).
if [ -n "${KAFKAC_MIGRATION_BROKER_IDS:-}" ]; then
  while waiting=$(brokers_in_zookeeper) && [ -n "$waiting" ]; do
    log "the migration from ZooKeeper: waiting for brokers ${waiting% } to run in KRaft mode before controller $node_id leaves migration mode"
    sleep 10
  done
fi

# The server's KAFKA_OPTS: the container's own (a Java agent of template.kafkaContainer.env, kept
# as Strimzi keeps it), then jvmOptions.javaSystemProperties, then the metrics javaagent. The agent
# serves a port: only the server gets it, not the tools above or the probes (which share this
# environment).
for options in "${KAFKAC_JAVA_SYSTEM_PROPERTIES:-}" "${KAFKAC_METRICS_AGENT_OPTS:-}"; do
  [ -z "$options" ] || KAFKA_OPTS="${KAFKA_OPTS:+$KAFKA_OPTS }$options"
done
[ -z "${KAFKA_OPTS:-}" ] || export KAFKA_OPTS
# Strimzi's metrics reporter and its libraries, which an init container copied
# into the pod; kafka-run-class.sh puts CLASSPATH before the jars of libs/.
if [ -n "${KAFKAC_METRICS_CLASSPATH:-}" ]; then
  export CLASSPATH="${CLASSPATH:+$CLASSPATH:}$KAFKAC_METRICS_CLASSPATH"
fi

# A JMX user name or password from its mounted Secret file. The agent's files
# separate a user from its password and access by a blank, and read a backslash
# as an escape: only letters, digits, '.', '_' and '-' are taken, as data.
jmx_word() { # file
  jmx_word_value=$(cat "$1")
  case $jmx_word_value in
    ''|*[!A-Za-z0-9._-]*) fail "$1 must be one word of letters, digits, '.', '_' or '-'" ;;
  esac
  printf '%s' "$jmx_word_value"
}

# JMX remote (spec.kafka.jmxOptions), as Strimzi opens it: the RMI registry and
# server on one port, no SSL, for the server only. The registry's stub names the
# pod by its DNS name, which a client anywhere in the cluster resolves. With
# authentication, the agent's password and access files (the Secret's user,
# readonly) are written here, in the pod's private scratch space.
if [ -n "${KAFKAC_JMX_PORT:-}" ]; then
  case $KAFKAC_JMX_PORT in
    *[!0-9]*) fail "KAFKAC_JMX_PORT must be a port number" ;;
  esac
  jmx_opts="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.port=$KAFKAC_JMX_PORT"
  jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.rmi.port=$KAFKAC_JMX_PORT"
  jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.ssl=false"
  jmx_opts="$jmx_opts -Djava.rmi.server.hostname=$(pod_address "$POD_NAME" svc)"
  if [ -n "${KAFKAC_JMX_SECRET_DIR:-}" ]; then
    jmx_user=$(jmx_word "$KAFKAC_JMX_SECRET_DIR/jmx-username")
    jmx_password=$(jmx_word "$KAFKAC_JMX_SECRET_DIR/jmx-password")
    rm -f "$work_dir/jmx.access" "$work_dir/jmx.password"
    printf '%s readonly\n' "$jmx_user" > "$work_dir/jmx.access"
    printf '%s %s\n' "$jmx_user" "$jmx_password" > "$work_dir/jmx.password"
    # The JVM refuses a password file that others may read.
    chmod 600 "$work_dir/jmx.access" "$work_dir/jmx.password"
    jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.authenticate=true"
    jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.access.file=$work_dir/jmx.access"
    jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.password.file=$work_dir/jmx.password"
  else
    jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.authenticate=false"
  fi
  export KAFKA_JMX_OPTS="$jmx_opts"
fi
exec "$kafka_home/bin/kafka-server-start.sh" "$properties"
