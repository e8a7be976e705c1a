#!/bin/bash
# Stand-in for the distribution's bin/connect-distributed.sh: the same defaults
# (connect-log4j2.yaml of config/, a 2 GiB heap at most), then ConnectDistributed.
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] connect-distributed.properties"
  exit 1
fi
base_dir=$(dirname "$0")

if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/../config/connect-log4j2.yaml"
fi
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xms256M -Xmx2G"
fi

EXTRA_ARGS=${EXTRA_ARGS-'-name connectDistributed'}
if [ "$1" = "-daemon" ]; then
  EXTRA_ARGS="-daemon $EXTRA_ARGS"
  shift
fi

exec "$base_dir/kafka-run-class.sh" $EXTRA_ARGS org.apache.kafka.connect.cli.ConnectDistributed "$@"
