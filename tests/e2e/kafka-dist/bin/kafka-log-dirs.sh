#!/bin/bash
# Stand-in for the distribution's bin/kafka-log-dirs.sh (Kafka 4's class; the rebalance Jobs call it).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.LogDirsCommand "$@"
