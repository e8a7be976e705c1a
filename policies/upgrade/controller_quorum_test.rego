package kafkac.rules.upgrade.controller_quorum_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.controller_quorum

test_quiet_when_the_controllers_stay if {
	count(controller_quorum.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
}

test_fires_when_controllers_are_added_or_removed if {
	five := fixtures.changed([{"op": "replace", "path": "/facts/controllerNodeIds", "value": [0, 1, 2, 3, 4]}])
	results := controller_quorum.violation with input as fixtures.upgrade(five, fixtures.cluster)
	{[r.kind, r.name, r.path] | some r in results} == {["KafkaNodePool", "controllers", ["spec", "replicas"]]}
	count(controller_quorum.violation) == 1 with input as fixtures.upgrade(fixtures.cluster, five)
}
