# METADATA
# title: Brokers an upgrade adds get their share of partitions from the chart
# description: >-
#   Kafka gives a broker that joins no partition until something moves one
#   there. A KRaft cluster's chart does it: after an upgrade that adds brokers
#   (a larger node pool, a new broker pool), its post-upgrade rebalance Job
#   moves replicas onto the brokers that hold less than half their share, rack-aware and
#   throttled, and evens out the preferred leaders. The addition is reported
#   as information, with the share of the managed KafkaTopics' replicas that
#   moves, so that a reviewer sees the data movement coming.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#basic_ops_cluster_expansion
#     description: Apache Kafka, expanding your cluster
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#proc-scaling-up-node-pools-str
#     description: Strimzi, adding nodes to a node pool
# custom:
#   id: upgrade.broker-spread
#   input: spec and base
package kafkac.rules.upgrade.broker_spread

import data.kafkac.lib
import data.kafkac.rules.upgrade.broker_drain

violation contains result if {
	some cluster in input.clusters
	cluster.facts.drainsBrokers
	base := lib.base_cluster(cluster)
	added := {id | some id in cluster.facts.brokerNodeIds} - {id | some id in base.facts.brokerNodeIds}
	some pool in cluster.nodePools
	lib.has_role(pool, "broker")
	ids := {id | some id in pool.facts.nodeIds} & added
	count(ids) > 0
	result := lib.violation("upgrade.broker-spread", pool.resource, ["spec", "replicas"], sprintf(
		"%s: spec.replicas adds brokers %v; after the upgrade the chart's rebalance Job moves replicas and leaders onto them%s",
		[lib.named(pool.resource), sort(ids), broker_drain.moving(cluster, count(ids), count(cluster.facts.brokerNodeIds))],
	))
}
