# METADATA
# title: No controller quorum change without Kafka's procedure
# description: >-
#   The KRaft controllers are the voters of the metadata quorum. Adding or
#   removing one is Kafka's controller membership procedure: one controller
#   at a time, with kafka-metadata-quorum add-controller or
#   remove-controller, on a dynamic quorum. A chart upgrade that simply
#   changes the set of controllers can leave the quorum without a majority.
#   Follow the procedure, then acknowledge the change with a waiver.
# related_resources:
#   - ref: https://kafka.apache.org/41/operations/kraft
#     description: Apache Kafka 4.1 operations, KRaft, controller membership changes
# custom:
#   id: upgrade.controller-quorum
#   input: spec and base
package kafkac.rules.upgrade.controller_quorum

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	before := sort(base.facts.controllerNodeIds)
	now := sort(cluster.facts.controllerNodeIds)
	before != now
	target := _target(cluster)
	result := lib.violation("upgrade.controller-quorum", target.resource, target.path, sprintf(
		"%s: the KRaft controllers change from node ids %v to %v; change the quorum one controller at a time with Kafka's controller membership procedure, then waive this finding",
		[lib.named(cluster.kafka), before, now],
	))
}

_target(cluster) := {"resource": pools[0].resource, "path": ["spec", "replicas"]} if {
	pools := lib.pools_with_role(cluster, "controller")
	count(pools) > 0
} else := {"resource": cluster.kafka, "path": ["metadata", "name"]}
