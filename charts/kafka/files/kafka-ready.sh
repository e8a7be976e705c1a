#!/bin/sh
# Readiness of one Kafka node of a kafkac chart: ready means "this node is serving".
#
# Broker, or broker and controller in one node: ready when the broker answers
# Kafka requests on its replication listener and the metadata it serves lists
# it as a registered, unfenced broker, that is, the active controller has seen
# it catch up with the cluster metadata and lets it lead and follow partitions.
# (In a node with both roles the broker reads metadata from the node's own copy
# of the quorum log, so an unfenced broker also means that copy is current.)
#
# ZooKeeper mode (Kafka 3.x, no process.roles): ready when the broker answers
# and the cluster metadata it serves lists it as a registered broker.
#
# Controller only: ready when it answers on its controller listener and the
# quorum leader reports it as the leader, or as a voter that was caught up with
# the leader within controller.quorum.fetch.timeout.ms: the rule a rolling
# restart needs before it may stop the next controller.
#
# Each check runs one of Kafka's own tools against this pod (localhost) in a
# small, short-lived JVM whose client timeouts end well before the probe's.
# Both listeners are TLS with client authentication: the tool presents the
# node certificate and trusts only the cluster CA. It connects to its own pod
# over loopback, so the host name check is left out (there is no name to
# check "localhost" against); every other connection between nodes checks it.
# Only this node and the node that answers its question are asked, so one
# unreachable broker does not make every other broker unready.
set -eu

: "${POD_NAME:?POD_NAME must be set from the pod name}"
kafka_home=${KAFKA_HOME:-/opt/kafka}
config_dir=${KAFKAC_CONFIG_DIR:-/opt/kafka/custom-config}
work_dir=${KAFKAC_WORK_DIR:-/tmp/kafka}
node_certs_dir=${KAFKAC_NODE_CERTS_DIR:-/opt/kafka/node-certs}
cluster_ca_certs_dir=${KAFKAC_CLUSTER_CA_CERTS_DIR:-/opt/kafka/cluster-ca-certs}
node_id=${POD_NAME##*-}

not_ready() {
  echo "not ready: $*"
  exit 1
}

# The last value of a key in the pool's server.properties (kafkac writes these
# keys unescaped, one per line).
property() {
  sed -n "s/^$1=//p" "$config_dir/server.properties" | tail -n 1
}

# The port of a listener, from listeners=NAME://host:port,...
listener_port() {
  property listeners | tr , '\n' | sed -n "s|^$1://.*:\([0-9][0-9]*\)\$|\1|p" | head -n 1
}

mkdir -p "$work_dir"

# A tool's JVM: small, quick to start, and none of the broker's own options
# (its heap, its logging, agents in KAFKA_OPTS that would bind ports again).
export KAFKA_HEAP_OPTS="-Xms16m -Xmx128m"
export KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true"
export KAFKA_JMX_OPTS=" "
unset KAFKA_LOG4J_OPTS KAFKA_OPTS KAFKA_GC_LOG_OPTS JMX_PORT

# Runs a Kafka tool; its output is in $answer.
run_tool() {
  answer=$("$@" 2>&1)
}

# The last error line of a failed tool, for the probe's message.
tool_error() {
  echo "$answer" | grep -E 'Exception|Error' | tail -n 1
}

# The key store password as a properties value (a backslash is written doubled).
node_password=$(sed 's/\\/\\\\/g' "$node_certs_dir/node.password")
client_config="$work_dir/ready-client.properties"
umask 077
. "${0%/*}/node-client.sh"
{
  node_client_properties 1500 2000 1000
  echo "ssl.endpoint.identification.algorithm="
} > "$client_config.new"
mv "$client_config.new" "$client_config"

roles=$(property process.roles)
case ,$roles, in
  ,,|*,broker,*)
    # A broker (ZooKeeper mode: no process.roles): ready when it answers on its
    # replication listener and the metadata it serves lists it. In KRaft mode
    # that list holds only unfenced brokers; with ZooKeeper, the registered ones.
    # (kafka-broker-api-versions.sh is in every Kafka release kafkac runs;
    # kafka-cluster.sh list-endpoints came with 4.0.)
    if [ -z "$roles" ] && [ -z "$(property zookeeper.connect)" ]; then
      not_ready "process.roles names neither broker nor controller"
    fi
    listener=$(property inter.broker.listener.name)
    port=$(listener_port "$listener")
    [ -n "$port" ] || not_ready "no port for listener $listener in server.properties"
    if ! run_tool "$kafka_home/bin/kafka-broker-api-versions.sh" --bootstrap-server "localhost:$port" \
        --command-config "$client_config"; then
      tool_error
      not_ready "broker $node_id does not answer on localhost:$port"
    fi
    # <host>:<port> (id: <id> rack: <rack>[ isFenced: false]) -> (
    if echo "$answer" | grep -q "(id: $node_id rack: "; then
      echo "broker $node_id is registered${roles:+ and unfenced}"
    else
      not_ready "broker $node_id is not registered${roles:+, or is fenced}"
    fi
    ;;
  *,controller,*)
    listener=$(property controller.listener.names | cut -d , -f 1)
    port=$(listener_port "$listener")
    [ -n "$port" ] || not_ready "no port for listener $listener in server.properties"
    fetch_timeout=$(property controller.quorum.fetch.timeout.ms)
    if ! run_tool "$kafka_home/bin/kafka-metadata-quorum.sh" --bootstrap-controller "localhost:$port" \
        --command-config "$client_config" describe --replication; then
      tool_error
      not_ready "controller $node_id does not answer on localhost:$port, or the quorum has no leader"
    fi
    # NodeId DirectoryId LogEndOffset Lag LastFetchTimestamp LastCaughtUpTimestamp Status
    echo "$answer" | awk -v id="$node_id" -v limit="${fetch_timeout:-2000}" '
      $NF == "Leader" { leader_time = $(NF-1) }
      $1 == id { status = $NF; caught_up = $(NF-1); lag = $4 }
      END {
        if (status == "Leader") { print "controller " id " leads the quorum"; exit 0 }
        if (status == "Follower" && caught_up > 0 && leader_time - caught_up <= limit) {
          print "controller " id " follows the quorum leader, " lag " records behind"; exit 0
        }
        if (status == "") { print "not ready: controller " id " is not in the quorum"; exit 1 }
        print "not ready: controller " id " (" status ") has not caught up with the leader"
        exit 1
      }'
    ;;
  *)
    not_ready "process.roles names neither broker nor controller"
    ;;
esac
