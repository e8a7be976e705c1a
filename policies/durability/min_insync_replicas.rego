# METADATA
# title: Writes need two in-sync replicas, and one replica may be lost
# description: >-
#   With acks=all a write is acknowledged once min.insync.replicas copies have
#   it: with 1, an acknowledged write can be lost with a single broker; with a
#   value equal to the replication factor, one broker down stops all writes.
#   Kafka's guidance is 2 for a replication factor of 3. Checked for
#   min.insync.replicas (Kafka's default is 1), transaction.state.log.min.isr
#   and each KafkaTopic's min.insync.replicas.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_min.insync.replicas
#     description: Apache Kafka, broker configs, min.insync.replicas
# custom:
#   id: durability.min-insync-replicas
#   input: spec
package kafkac.rules.durability.min_insync_replicas

import data.kafkac.lib

minimum := 2

# Each option with Kafka's default, and the replication factor it must stay below.
options := {
	"min.insync.replicas": {"default": 1, "replicas": "default.replication.factor", "replicas_default": 1},
	"transaction.state.log.min.isr": {
		"default": 2,
		"replicas": "transaction.state.log.replication.factor",
		"replicas_default": 3,
	},
}

violation contains result if {
	some cluster in input.clusters
	some option, about in options
	value := lib.config_number(cluster, option, about.default)
	value < minimum
	path := lib.config_path(option)
	result := lib.violation("durability.min-insync-replicas", cluster.kafka, path, sprintf(
		"%s: %s is %d%s; use at least %d so that an acknowledged write survives the loss of one broker",
		[lib.named(cluster.kafka), lib.field(path), value, lib.default_note(cluster, option), minimum],
	))
}

violation contains result if {
	some cluster in input.clusters
	some option, about in options
	value := lib.config_number(cluster, option, about.default)
	value >= minimum
	replicas := lib.config_number(cluster, about.replicas, about.replicas_default)
	value >= replicas
	path := lib.config_path(option)
	result := lib.violation("durability.min-insync-replicas", cluster.kafka, path, sprintf(
		"%s: %s is %d but %s is %d, so one broker down stops writes; keep it below the replication factor",
		[lib.named(cluster.kafka), lib.field(path), value, about.replicas, replicas],
	))
}

violation contains result if {
	some cluster in input.clusters
	some topic in cluster.topics
	path := ["spec", "config", "min.insync.replicas"]
	value := lib.number(object.get(topic.resource, path, null))
	value < minimum
	result := lib.violation("durability.min-insync-replicas", topic.resource, path, sprintf(
		"%s: %s is %d; use at least %d so that an acknowledged write survives the loss of one broker",
		[lib.named(topic.resource), lib.field(path), value, minimum],
	))
}

violation contains result if {
	some cluster in input.clusters
	some topic in cluster.topics
	path := ["spec", "config", "min.insync.replicas"]
	value := lib.number(object.get(topic.resource, path, null))
	value >= minimum
	replicas := lib.number(topic.resource.spec.replicas)
	value >= replicas
	result := lib.violation("durability.min-insync-replicas", topic.resource, path, sprintf(
		"%s: %s is %d but spec.replicas is %d, so one broker down stops writes; keep it below the replicas",
		[lib.named(topic.resource), lib.field(path), value, replicas],
	))
}
