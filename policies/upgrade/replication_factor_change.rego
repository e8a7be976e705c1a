# METADATA
# title: No replication factor change by editing the topic
# description: >-
#   Kafka does not change a topic's replication factor from its
#   configuration: it takes a partition reassignment that copies data between
#   brokers and is planned, throttled and verified (kafka-reassign-partitions
#   or Cruise Control). Strimzi's Topic Operator refuses the change too.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#basic_ops_increase_replication_factor
#     description: Apache Kafka, increasing replication factor
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#con-replication-factor-changes-str
#     description: Strimzi, changing the replication factor of topics
# custom:
#   id: upgrade.replication-factor-change
#   input: spec and base
package kafkac.rules.upgrade.replication_factor_change

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some topic in cluster.topics
	some old in base.topics
	old.name == topic.name
	now := lib.topic_replicas(topic)
	before := lib.topic_replicas(old)
	now != before
	path := ["spec", "replicas"]
	result := lib.violation("upgrade.replication-factor-change", topic.resource, path, sprintf(
		"%s: %s goes from %d to %d; a replication factor changes by a partition reassignment, not by editing the topic",
		[lib.named(topic.resource), lib.field(path), before, now],
	))
}
