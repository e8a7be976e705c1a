# METADATA
# title: MirrorMaker 2's own topics survive the loss of a broker
# description: >-
#   MirrorMaker 2 keeps the offset mapping of each source partition
#   (offset-syncs), the translated group offsets (checkpoints) and its
#   heartbeats in topics of its own, and writes the mirrored topics with
#   replication.factor. A factor written below the cluster's
#   min.insync.replicas plus one stops mirroring when one broker is down. -1
#   takes the target's default.replication.factor, checked when that Kafka is
#   among the inputs; for a Kafka that is not, a min.insync.replicas of 2 is
#   assumed.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#mirrormakerconfigs
#     description: Apache Kafka, MirrorMaker configs
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_min.insync.replicas
#     description: Apache Kafka, broker configs, min.insync.replicas
# custom:
#   id: mirror.internal-topics
#   input: spec
package kafkac.rules.mirror.internal_topics

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	some topic in connect.facts.mirror.topicReplicationFactors
	factor := _factor(connect, topic)
	needed := connect.facts.minInsyncReplicas + 1
	factor < needed
	result := lib.violation("mirror.internal-topics", connect.connect, topic.path, sprintf(
		"%s: %s is %d%s, below min.insync.replicas %d plus one, so one broker down stops mirroring; use at least %d",
		[lib.named(connect.connect), lib.field(topic.path), factor, _note(topic.factor), connect.facts.minInsyncReplicas, needed],
	))
}

# -1: the broker's default.replication.factor, known for the target when its Kafka is among the inputs.
_factor(connect, topic) := connect.facts.defaultReplicationFactor if {
	topic.factor == -1
	topic.onTarget
	is_number(connect.facts.defaultReplicationFactor)
}

_factor(_, topic) := topic.factor if topic.factor != -1

_note(-1) := " (-1: the target's default.replication.factor)"

_note(written) := "" if written != -1
