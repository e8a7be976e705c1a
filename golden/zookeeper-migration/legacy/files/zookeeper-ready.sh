#!/bin/sh
# Readiness of one ZooKeeper node of a kafkac chart: ready means "in the quorum
# and serving".
#
# The node answers the four-letter word srvr on its plain client port, which
# listens on the pod's loopback only, and reports its mode: leader or follower
# means it is a member of a quorum that has a leader and serves clients.
# ZooKeeper answers "This ZooKeeper instance is not currently serving requests"
# while it looks for a quorum. The question is asked with ZooKeeper's own client
# class (the Kafka image has no nc), in a small, short-lived JVM.
set -eu

kafka_home=${KAFKA_HOME:-/opt/kafka}
port=${KAFKAC_ZOOKEEPER_LOCAL_PORT:-12181}

not_ready() {
  echo "not ready: $*"
  exit 1
}

export KAFKA_HEAP_OPTS="-Xms16m -Xmx64m"
export KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true"
export KAFKA_JMX_OPTS=" "
unset KAFKA_LOG4J_OPTS KAFKA_OPTS KAFKA_GC_LOG_OPTS JMX_PORT

if ! answer=$("$kafka_home/bin/kafka-run-class.sh" org.apache.zookeeper.client.FourLetterWordMain \
    127.0.0.1 "$port" srvr false 2>/dev/null); then
  not_ready "ZooKeeper does not answer on 127.0.0.1:$port"
fi
mode=$(echo "$answer" | sed -n 's/^Mode: //p' | head -n 1)
case $mode in
  leader|follower) echo "ZooKeeper is the quorum's $mode" ;;
  '') not_ready "ZooKeeper is not serving: $(echo "$answer" | head -n 1)" ;;
  *) not_ready "ZooKeeper is in mode $mode" ;;
esac
