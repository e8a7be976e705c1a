#!/bin/bash
# Stand-in for the distribution's bin/kafka-acls.sh; the command moved from the
# broker's jar (Kafka 3.x) to kafka-tools (Kafka 4).
base_dir=$(dirname "$0")
class=org.apache.kafka.tools.AclCommand
if compgen -G "$base_dir/../libs/kafka_2.13-3.*.jar" > /dev/null; then
  class=kafka.admin.AclCommand
fi
exec "$base_dir/kafka-run-class.sh" "$class" "$@"
