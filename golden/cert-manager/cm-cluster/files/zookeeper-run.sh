#!/bin/sh
# Starts one ZooKeeper node of a kafkac chart (Kafka 3.x, whose distribution
# carries ZooKeeper).
#
# The static configuration comes from the ConfigMap; this script adds what the
# pod's identity decides (its id in the ensemble, myid) and the password of the
# node certificate's key store (from its Secret, never from the ConfigMap),
# lists every member of the ensemble, and then execs ZooKeeper.
# Every input is an environment variable set by the pod spec: values are used
# as data, never evaluated.
set -eu

: "${POD_NAME:?POD_NAME must be set from the pod name}"
: "${POD_NAMESPACE:?POD_NAMESPACE must be set from the pod namespace}"
: "${KAFKAC_ZOOKEEPER_REPLICAS:?}" "${KAFKAC_ZOOKEEPER_NODES_SERVICE:?}" "${KAFKAC_ZOOKEEPER_DATA_DIR:?}"
: "${KAFKAC_ZOOKEEPER_LOCAL_PORT:?}" "${KAFKAC_ZOOKEEPER_CLUSTERING_PORT:?}" "${KAFKAC_ZOOKEEPER_ELECTION_PORT:?}"
kafka_home=${KAFKA_HOME:-/opt/kafka}
config_dir=${KAFKAC_ZOOKEEPER_CONFIG_DIR:-/opt/kafka/zookeeper-config}
node_certs_dir=${KAFKAC_NODE_CERTS_DIR:-/opt/kafka/node-certs}
work_dir=${KAFKAC_WORK_DIR:-/tmp/zookeeper}
log_name=zookeeper-run
. "${0%/*}/log.sh"

# A StatefulSet pod is named <statefulset>-<ordinal>; ZooKeeper's ids start at 1.
ordinal=${POD_NAME##*-}
case $ordinal in
  ''|*[!0-9]*) fail "cannot read an ordinal from pod name $POD_NAME" ;;
esac
case $KAFKAC_ZOOKEEPER_REPLICAS in
  ''|*[!0-9]*) fail "KAFKAC_ZOOKEEPER_REPLICAS must be a number" ;;
esac
myid=$((ordinal + 1))
statefulset=${POD_NAME%-*}

node_password=$(properties_secret "$node_certs_dir/node.password")

mkdir -p "$work_dir" "$KAFKAC_ZOOKEEPER_DATA_DIR"
umask 077
printf '%s\n' "$myid" > "$KAFKAC_ZOOKEEPER_DATA_DIR/myid"

properties="$work_dir/zookeeper.properties"
{
  cat "$config_dir/zookeeper.properties"
  echo "# Added by zookeeper-run.sh for pod $POD_NAME (myid $myid)"
  # printf: an echo may read the backslashes of the password as escapes.
  printf '%s=%s\n' ssl.keyStore.password "$node_password"
  printf '%s=%s\n' ssl.quorum.keyStore.password "$node_password"
  member=1
  while [ "$member" -le "$KAFKAC_ZOOKEEPER_REPLICAS" ]; do
    address="$statefulset-$((member - 1)).$KAFKAC_ZOOKEEPER_NODES_SERVICE.$POD_NAMESPACE.svc"
    echo "server.$member=$address:$KAFKAC_ZOOKEEPER_CLUSTERING_PORT:$KAFKAC_ZOOKEEPER_ELECTION_PORT:participant;127.0.0.1:$KAFKAC_ZOOKEEPER_LOCAL_PORT"
    member=$((member + 1))
  done
} > "$properties"
log "ZooKeeper node $myid of $KAFKAC_ZOOKEEPER_REPLICAS starting"

# The server's KAFKA_OPTS: the container's own (template.zookeeperContainer.env), then
# jvmOptions.javaSystemProperties, then the metrics javaagent. The agent serves a port: only the
# server gets it, not the probes (which share this environment).
for options in "${KAFKAC_JAVA_SYSTEM_PROPERTIES:-}" "${KAFKAC_METRICS_AGENT_OPTS:-}"; do
  [ -z "$options" ] || KAFKA_OPTS="${KAFKA_OPTS:+$KAFKA_OPTS }$options"
done
[ -z "${KAFKA_OPTS:-}" ] || export KAFKA_OPTS
exec "$kafka_home/bin/zookeeper-server-start.sh" "$properties"
