package kafkac.rules.upgrade.controller_quorum_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.controller_quorum

five := fixtures.changed([{"op": "replace", "path": "/facts/controllerNodeIds", "value": [0, 1, 2, 3, 4]}])

dynamic(cluster) := json.patch(cluster, [
	{"op": "replace", "path": "/facts/controllerQuorum", "value": "dynamic"},
	{"op": "add", "path": "/kafka/metadata/annotations", "value": {"kafkac.io/controller-quorum": "dynamic"}},
])

with_controllers(cluster, ids) := json.patch(cluster, [{"op": "replace", "path": "/facts/controllerNodeIds", "value": ids}])

test_quiet_when_the_controllers_stay if {
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(dynamic(fixtures.cluster), dynamic(fixtures.cluster))
}

test_a_static_quorum_change_is_refused_and_names_the_way if {
	results := controller_quorum.violation with input as fixtures.upgrade(five, fixtures.cluster)
	{[r.kind, r.name, r.path] | some r in results} == {["KafkaNodePool", "controllers", ["spec", "replicas"]]}
	some r in results
	contains(r.msg, "kafkac.io/controller-quorum: dynamic, on Kafka 4.2 or later")
	count(controller_quorum.violation) == 1 with input as fixtures.upgrade(fixtures.cluster, five)
}

test_a_dynamic_quorum_may_change_while_a_majority_stays if {
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(dynamic(five), dynamic(fixtures.cluster))
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(dynamic(fixtures.cluster), dynamic(five))

	# 0, 1, 2 -> 1, 2, 3: two of three stay.
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(dynamic(with_controllers(fixtures.cluster, [1, 2, 3])), dynamic(fixtures.cluster))
}

test_a_dynamic_quorum_that_would_lose_its_majority_is_refused if {
	# 0..4 -> 0, 1: two of five stay.
	head := dynamic(with_controllers(fixtures.cluster, [0, 1]))
	results := controller_quorum.violation with input as fixtures.upgrade(head, dynamic(five))
	count(results) == 1
	some r in results
	r.path == ["spec", "replicas"]
	contains(r.msg, "only [0, 1] stay, no majority of the 5 voters")

	# 0, 1 -> 1, 2: one of two stays.
	count(controller_quorum.violation) == 1 with input as fixtures.upgrade(dynamic(with_controllers(fixtures.cluster, [1, 2])), dynamic(with_controllers(fixtures.cluster, [0, 1])))
}

test_the_quorum_kind_of_an_existing_cluster_does_not_change if {
	results := controller_quorum.violation with input as fixtures.upgrade(dynamic(fixtures.cluster), fixtures.cluster)
	{[r.kind, r.path] | some r in results} == {["Kafka", ["metadata", "annotations", "kafkac.io/controller-quorum"]]}
	some r in results
	contains(r.msg, "from static to dynamic on an existing cluster; Kafka does not convert")
	back := controller_quorum.violation with input as fixtures.upgrade(fixtures.cluster, dynamic(fixtures.cluster))
	{r.path | some r in back} == {["metadata", "name"]}
}

test_a_kind_change_with_new_controllers_is_refused_once_for_the_kind if {
	results := controller_quorum.violation with input as fixtures.upgrade(dynamic(five), fixtures.cluster)
	count(results) == 1
}

test_the_controllers_of_a_migration_from_zookeeper_are_not_a_quorum_change if {
	zookeeper := json.patch(fixtures.cluster, [
		{"op": "replace", "path": "/facts/controllerNodeIds", "value": []},
		{"op": "add", "path": "/facts/kraftMigration", "value": "disabled"},
	])
	migration := json.patch(fixtures.cluster, [{"op": "add", "path": "/facts/kraftMigration", "value": "migration"}])
	rollback := json.patch(zookeeper, [{"op": "replace", "path": "/facts/kraftMigration", "value": "rollback"}])
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(migration, zookeeper)
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(rollback, migration)
}
