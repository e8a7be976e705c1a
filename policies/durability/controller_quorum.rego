# METADATA
# title: An odd KRaft controller quorum of 3 or 5
# description: >-
#   The KRaft quorum needs a majority to elect a leader and commit metadata:
#   3 controllers survive one failure, 5 survive two, and an even number
#   survives no more than the odd number below it. Kafka's operations guide:
#   "typically select 3 or 5 controllers".
# related_resources:
#   - ref: https://kafka.apache.org/41/operations/kraft
#     description: Apache Kafka 4.1 operations, KRaft, Controllers
# custom:
#   id: durability.controller-quorum
#   input: spec
package kafkac.rules.durability.controller_quorum

import data.kafkac.lib

allowed := {3, 5}

violation contains result if {
	some cluster in input.clusters
	controllers := cluster.facts.controllers
	not controllers in allowed
	pools := lib.pools_with_role(cluster, "controller")
	count(pools) > 0
	path := ["spec", "replicas"]
	result := lib.violation("durability.controller-quorum", pools[0].resource, path, sprintf(
		"%s: %s gives the cluster %d KRaft controller(s) (node pools %s); use 3 or 5, an odd quorum that survives one or two failures",
		[lib.named(pools[0].resource), lib.field(path), controllers, concat(", ", [pool.name | some pool in pools])],
	))
}
