# METADATA
# title: No Kafka downgrade below the metadata version
# description: >-
#   A KRaft cluster's metadata.version only moves forward in practice: Kafka
#   software older than the metadata version the cluster runs cannot read its
#   metadata log and does not start. Lowering spec.kafka.version below the
#   metadata version in use, or lowering spec.kafka.metadataVersion itself,
#   breaks the cluster. Without metadataVersion the cluster runs the metadata
#   version of its Kafka version.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#upgrade
#     description: Apache Kafka, upgrading and metadata.version
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#assembly-downgrade-str
#     description: Strimzi, downgrading Kafka
# custom:
#   id: upgrade.kafka-downgrade
#   input: spec and base
package kafkac.rules.upgrade.kafka_downgrade

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	cluster.facts.kafkaRelease < base.facts.metadataRelease
	path := ["spec", "kafka", "version"]
	result := lib.violation("upgrade.kafka-downgrade", cluster.kafka, path, sprintf(
		"%s: %s goes from %s to %s, older than the metadata version %s the cluster runs",
		[lib.named(cluster.kafka), lib.field(path), base.facts.kafkaVersion, cluster.facts.kafkaVersion, _metadata(base)],
	))
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	is_string(cluster.facts.metadataVersion)
	_lower(cluster.facts, base.facts)
	path := ["spec", "kafka", "metadataVersion"]
	result := lib.violation("upgrade.kafka-downgrade", cluster.kafka, path, sprintf(
		"%s: %s goes from %s to %s; a metadata version is not lowered",
		[lib.named(cluster.kafka), lib.field(path), _metadata(base), cluster.facts.metadataVersion],
	))
}

_lower(now, before) if now.metadataRelease < before.metadataRelease

_lower(now, before) if {
	is_array(now.metadataLevel)
	is_array(before.metadataLevel)
	now.metadataLevel < before.metadataLevel
}

_metadata(cluster) := cluster.facts.metadataVersion if {
	is_string(cluster.facts.metadataVersion)
} else := sprintf("of Kafka %s", [cluster.facts.kafkaVersion])
