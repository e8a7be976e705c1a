# METADATA
# title: A broker removal is drained by the chart before the brokers go
# description: >-
#   A KRaft cluster's chart drains the brokers a change removes (a smaller
#   node pool, a removed pool, a pool that loses the broker role) itself: its
#   pre-upgrade rebalance Job moves their partition replicas to the brokers
#   that stay, and fails the upgrade, changing nothing, when it cannot (a
#   topic's replication factor above the brokers that stay, a broker that does
#   not answer). The removal is reported as information, so that a reviewer
#   sees the data movement coming. Node ids the Kafka's annotation
#   kafkac.io/drained-node-ids lists are left out of the move, and the
#   information says that what they still hold is lost.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#basic_ops_decommissioning_brokers
#     description: Apache Kafka, decommissioning brokers
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#proc-scaling-down-node-pools-str
#     description: Strimzi, removing nodes from a node pool
# custom:
#   id: upgrade.broker-drain
#   input: spec and base
package kafkac.rules.upgrade.broker_drain

import data.kafkac.lib
import data.kafkac.rules.upgrade.broker_removal

violation contains result if {
	some cluster in input.clusters
	cluster.facts.drainsBrokers
	some removal in broker_removal.removals(cluster, broker_removal.left(cluster) - broker_removal.drained(cluster))
	result := lib.violation("upgrade.broker-drain", removal.target.resource, removal.target.path, sprintf(
		"%s: %s brokers %v; the chart's drain Job moves their partitions to the brokers that stay before they go, and fails the upgrade, changing nothing, if it cannot%s",
		[lib.named(removal.target.resource), removal.target.change, removal.ids, moving(cluster, count(removal.ids), count(lib.base_cluster(cluster).facts.brokerNodeIds))],
	))
}

violation contains result if {
	some cluster in input.clusters
	cluster.facts.drainsBrokers
	some removal in broker_removal.removals(cluster, broker_removal.left(cluster) & broker_removal.drained(cluster))
	result := lib.violation("upgrade.broker-drain", removal.target.resource, removal.target.path, sprintf(
		"%s: %s brokers %v, which the Kafka's annotation %s leaves out of the drain: what they still hold is lost",
		[lib.named(removal.target.resource), removal.target.change, removal.ids, broker_removal.annotation],
	))
}

# What moves when `changed` of `brokers` brokers hold an even share: the replicas of the
# KafkaTopics the chart manages (other topics are only known in the running cluster).
moving(cluster, changed, brokers) := sprintf("; about %d of the %d replicas of its managed KafkaTopics move", [
	round((total * changed) / brokers), total,
]) if {
	total := sum([n |
		some topic in cluster.topics
		topic.facts
		n := topic.facts.partitions * topic.facts.replicas
	])
	total > 0
	brokers > 0
} else := ""
