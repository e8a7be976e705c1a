package kafkac.rules.durability.controller_quorum_test

import data.kafkac.fixtures
import data.kafkac.rules.durability.controller_quorum

test_quiet_with_three_or_five if {
	count(controller_quorum.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	five := fixtures.changed([{"op": "replace", "path": "/facts/controllers", "value": 5}])
	count(controller_quorum.violation) == 0 with input as fixtures.spec(five)
}

test_fires_with_one_or_an_even_number if {
	every controllers in [1, 2, 4, 6] {
		cluster := fixtures.changed([{"op": "replace", "path": "/facts/controllers", "value": controllers}])
		results := controller_quorum.violation with input as fixtures.spec(cluster)
		{[r.kind, r.name, r.path] | some r in results} == {["KafkaNodePool", "controllers", ["spec", "replicas"]]}
	}
}
