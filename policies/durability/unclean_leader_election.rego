# METADATA
# title: No unclean leader election
# description: >-
#   unclean.leader.election.enable lets a replica that is not in sync become
#   leader, which silently drops every write it had not copied. Kafka's
#   default is false; KIP-460 calls enabling it "potentially a dangerous
#   configuration that could lead to data loss".
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_unclean.leader.election.enable
#     description: Apache Kafka, broker configs, unclean.leader.election.enable
#   - ref: https://cwiki.apache.org/confluence/display/KAFKA/KIP-460%3A+Admin+Leader+Election+RPC
#     description: KIP-460, Admin Leader Election RPC
# custom:
#   id: durability.unclean-leader-election
#   input: spec
package kafkac.rules.durability.unclean_leader_election

import data.kafkac.lib

option := "unclean.leader.election.enable"

violation contains result if {
	some cluster in input.clusters
	lib.is_true(lib.config(cluster)[option])
	path := lib.config_path(option)
	result := lib.violation("durability.unclean-leader-election", cluster.kafka, path, sprintf(
		"%s: %s is true, so an out-of-sync replica may become leader and drop acknowledged writes",
		[lib.named(cluster.kafka), lib.field(path)],
	))
}

violation contains result if {
	some cluster in input.clusters
	some topic in cluster.topics
	path := ["spec", "config", option]
	lib.is_true(object.get(topic.resource, path, false))
	result := lib.violation("durability.unclean-leader-election", topic.resource, path, sprintf(
		"%s: %s is true, so an out-of-sync replica may become leader and drop acknowledged writes",
		[lib.named(topic.resource), lib.field(path)],
	))
}
