# METADATA
# title: No partition decrease
# description: >-
#   Kafka can add partitions to a topic but never remove them; a smaller
#   spec.partitions cannot be applied, and deleting and recreating the topic
#   to get there loses its data and its consumers' offsets.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#basic_ops_modify_topic
#     description: Apache Kafka, modifying topics
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaTopicSpec-reference
#     description: Strimzi, KafkaTopicSpec schema reference
# custom:
#   id: upgrade.partition-decrease
#   input: spec and base
package kafkac.rules.upgrade.partition_decrease

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some topic in cluster.topics
	some old in base.topics
	old.name == topic.name
	now := lib.topic_partitions(topic)
	before := lib.topic_partitions(old)
	now < before
	path := ["spec", "partitions"]
	result := lib.violation("upgrade.partition-decrease", topic.resource, path, sprintf(
		"%s: %s goes from %d to %d, but Kafka cannot remove partitions from a topic",
		[lib.named(topic.resource), lib.field(path), before, now],
	))
}
