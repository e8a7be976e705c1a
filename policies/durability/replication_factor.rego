# METADATA
# title: Partitions have at least three replicas
# description: >-
#   With fewer than three copies of a partition, one broker down for
#   maintenance and one failure lose data or availability. Kafka's documented
#   production setting is a replication factor of 3 with min.insync.replicas 2
#   and acks=all. Checked for default.replication.factor (Kafka's default is 1),
#   the internal topics' offsets.topic.replication.factor and
#   transaction.state.log.replication.factor, and each KafkaTopic's replicas.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_min.insync.replicas
#     description: Apache Kafka, broker configs, min.insync.replicas
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_default.replication.factor
#     description: Apache Kafka, broker configs, default.replication.factor
# custom:
#   id: durability.replication-factor
#   input: spec
package kafkac.rules.durability.replication_factor

import data.kafkac.lib

minimum := 3

# Broker options that give a partition its number of copies, with Kafka's defaults.
options := {
	"default.replication.factor": 1,
	"offsets.topic.replication.factor": 3,
	"transaction.state.log.replication.factor": 3,
}

violation contains result if {
	some cluster in input.clusters
	some option, kafka_default in options
	value := lib.config_number(cluster, option, kafka_default)
	value < minimum
	path := lib.config_path(option)
	result := lib.violation("durability.replication-factor", cluster.kafka, path, sprintf(
		"%s: %s is %d%s; use at least %d so that a partition survives one broker down and one lost",
		[lib.named(cluster.kafka), lib.field(path), value, lib.default_note(cluster, option), minimum],
	))
}

violation contains result if {
	some cluster in input.clusters
	some topic in cluster.topics
	replicas := lib.number(topic.resource.spec.replicas)
	replicas < minimum
	path := ["spec", "replicas"]
	result := lib.violation("durability.replication-factor", topic.resource, path, sprintf(
		"%s: %s is %d; use at least %d so that the topic survives one broker down and one lost",
		[lib.named(topic.resource), lib.field(path), replicas, minimum],
	))
}
