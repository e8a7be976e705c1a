# METADATA
# title: Connect's internal topics survive the loss of a broker
# description: >-
#   A Connect cluster keeps its connectors' configurations, offsets and status
#   in three internal topics. With acks=all a write to them needs
#   min.insync.replicas copies, so their replication factor must be at least
#   the cluster's min.insync.replicas plus one, or one broker down stops the
#   workers. -1 takes the broker's default.replication.factor, checked when the
#   Kafka is among the inputs; for a Kafka that is not, a min.insync.replicas
#   of 2 is assumed.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#connectconfigs_config.storage.replication.factor
#     description: Apache Kafka, Kafka Connect configs, config.storage.replication.factor
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_min.insync.replicas
#     description: Apache Kafka, broker configs, min.insync.replicas
# custom:
#   id: connect.internal-topics
#   input: spec
package kafkac.rules.connect.internal_topics

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	some option, written in connect.facts.replicationFactors
	factor := _factor(connect, written)
	needed := connect.facts.minInsyncReplicas + 1
	factor < needed
	path := array.concat(object.get(connect.facts, "workerPath", ["spec"]), ["config", option])
	result := lib.violation("connect.internal-topics", connect.connect, path, sprintf(
		"%s: %s is %d%s, below min.insync.replicas %d plus one, so one broker down stops the workers; use at least %d",
		[lib.named(connect.connect), lib.field(path), factor, _note(written), connect.facts.minInsyncReplicas, needed],
	))
}

# -1: the broker's default.replication.factor, known when the Kafka is among the inputs.
_factor(connect, -1) := connect.facts.defaultReplicationFactor if {
	is_number(connect.facts.defaultReplicationFactor)
}

_factor(_, written) := written if written != -1

_note(-1) := " (-1: the broker's default.replication.factor)"

_note(written) := "" if written != -1
