# METADATA
# title: No controller quorum change the chart cannot make safely
# description: >-
#   The KRaft controllers are the voters of the metadata quorum. A static
#   quorum (controller.quorum.voters, the default) cannot change through the
#   chart: its members are fixed at format time, and a chart upgrade that
#   simply changes the set of controllers can leave the quorum without a
#   majority; follow Kafka's controller membership procedure, then waive this
#   finding. A dynamic quorum (the Kafka's annotation
#   kafkac.io/controller-quorum: dynamic, Kafka 4.2 or later) changes through
#   the chart (see upgrade.controller-membership), unless the controllers that
#   stay are no majority of the old voters: the removed controllers' pods are
#   gone before the rebalance Job removes them from the quorum. The quorum kind
#   of an existing cluster cannot change: Kafka does not turn a static quorum
#   into a dynamic one, nor back, by a change of configuration.
# related_resources:
#   - ref: https://kafka.apache.org/42/operations/kraft
#     description: Apache Kafka 4.2 operations, KRaft, controller membership changes
# custom:
#   id: upgrade.controller-quorum
#   input: spec and base
package kafkac.rules.upgrade.controller_quorum

import data.kafkac.lib

annotation := "kafkac.io/controller-quorum"

violation contains result if {
	some cluster in input.clusters
	change := controller_change(cluster)
	quorum(change.base) == "static"
	quorum(cluster) == "static"
	where := target(cluster)
	result := lib.violation("upgrade.controller-quorum", where.resource, where.path, sprintf(
		"%s: the KRaft controllers change from node ids %v to %v, and a static quorum (controller.quorum.voters) does not change through the chart; change it one controller at a time with Kafka's controller membership procedure, then waive this finding (a new cluster with the Kafka's annotation %s: dynamic, on Kafka 4.2 or later, changes its controllers itself)",
		[lib.named(cluster.kafka), change.before, change.now, annotation],
	))
}

violation contains result if {
	some cluster in input.clusters
	change := controller_change(cluster)
	quorum(change.base) == "dynamic"
	quorum(cluster) == "dynamic"
	not majority_stays(change)
	where := target(cluster)
	result := lib.violation("upgrade.controller-quorum", where.resource, where.path, sprintf(
		"%s: the KRaft controllers change from node ids %v to %v: only %v stay, no majority of the %d voters, so the quorum would stop while the removed controllers are gone and not yet removed from it; keep more than half of them in each change",
		[lib.named(cluster.kafka), change.before, change.now, sort(change.staying), count(change.before)],
	))
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	quorum(base) != quorum(cluster)
	count(base.facts.controllerNodeIds) > 0
	result := lib.violation("upgrade.controller-quorum", cluster.kafka, _annotation_path(cluster), sprintf(
		"%s: the controller quorum changes from %s to %s on an existing cluster; Kafka does not convert a quorum's kind by a change of configuration, and this chart cannot do it: keep %s, or create a new cluster with %s: %s",
		[lib.named(cluster.kafka), quorum(base), quorum(cluster), quorum(base), annotation, quorum(cluster)],
	))
}

quorum(cluster) := object.get(cluster.facts, "controllerQuorum", "static")

# The controller node ids of the base and of the change, when they differ. The controllers a
# migration from ZooKeeper adds or its rollback removes are upgrade.kraft-migration's.
controller_change(cluster) := {"base": base, "before": before, "now": now, "staying": {id | some id in before} & {id | some id in now}} if {
	base := lib.base_cluster(cluster)
	not _without_controllers(base)
	not _without_controllers(cluster)
	before := sort(base.facts.controllerNodeIds)
	now := sort(cluster.facts.controllerNodeIds)
	before != now
}

# More than half of the old voters are controllers of the change.
majority_stays(change) if count(change.staying) * 2 > count(change.before)

target(cluster) := {"resource": pools[0].resource, "path": ["spec", "replicas"]} if {
	pools := lib.pools_with_role(cluster, "controller")
	count(pools) > 0
} else := {"resource": cluster.kafka, "path": ["metadata", "name"]}

# A ZooKeeper cluster before its migration or after its rollback: no controller is deployed.
_without_controllers(cluster) if object.get(cluster.facts, "kraftMigration", "kraft") in {"disabled", "rollback"}

_annotation_path(cluster) := ["metadata", "annotations", annotation] if {
	cluster.kafka.metadata.annotations[annotation]
} else := ["metadata", "name"]
