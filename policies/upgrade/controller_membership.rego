# METADATA
# title: A dynamic quorum's controllers change through the chart
# description: >-
#   In a dynamic quorum (the Kafka's annotation kafkac.io/controller-quorum:
#   dynamic, Kafka 4.2 or later) new controllers join the quorum by
#   themselves (controller.quorum.auto.join.enable), and the post-upgrade
#   rebalance Job removes the voters whose node ids the chart no longer has,
#   once Helm has stopped their pods, one at a time. The change is reported as
#   information when the controllers that stay are a majority of the old
#   voters (upgrade.controller-quorum refuses it otherwise).
# related_resources:
#   - ref: https://kafka.apache.org/42/operations/kraft
#     description: Apache Kafka 4.2 operations, KRaft, controller membership changes
# custom:
#   id: upgrade.controller-membership
#   input: spec and base
package kafkac.rules.upgrade.controller_membership

import data.kafkac.lib
import data.kafkac.rules.upgrade.controller_quorum

violation contains result if {
	some cluster in input.clusters
	change := controller_quorum.controller_change(cluster)
	controller_quorum.quorum(change.base) == "dynamic"
	controller_quorum.quorum(cluster) == "dynamic"
	controller_quorum.majority_stays(change)
	where := controller_quorum.target(cluster)
	added := sort({id | some id in change.now} - change.staying)
	removed := sort({id | some id in change.before} - change.staying)
	result := lib.violation("upgrade.controller-membership", where.resource, where.path, sprintf(
		"%s: the KRaft controllers change from node ids %v to %v; %s",
		[lib.named(cluster.kafka), change.before, change.now, _steps(added, removed)],
	))
}

_steps(added, removed) := sprintf("controllers %v join the quorum by themselves, and the post-upgrade rebalance Job removes voters %v once their pods are gone", [added, removed]) if {
	count(added) > 0
	count(removed) > 0
} else := sprintf("controllers %v join the quorum by themselves", [added]) if {
	count(added) > 0
} else := sprintf("the post-upgrade rebalance Job removes voters %v from the quorum once their pods are gone", [removed])
