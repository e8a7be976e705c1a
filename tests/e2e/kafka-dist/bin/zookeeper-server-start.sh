#!/bin/bash
# Stand-in for Kafka 3.x's bin/zookeeper-server-start.sh: the same defaults (a
# 512 MiB heap, a GC log), then ZooKeeper's QuorumPeerMain, from the zookeeper
# jar that Kafka 3.x depends on.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] zookeeper.properties"
  exit 1
fi
base_dir=$(dirname "$0")
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xmx512M -Xms512M"
fi
EXTRA_ARGS=${EXTRA_ARGS-'-name zookeeper -loggc'}
exec "$base_dir/kafka-run-class.sh" $EXTRA_ARGS org.apache.zookeeper.server.quorum.QuorumPeerMain "$@"
