package kafkac.rules.upgrade.node_ids_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.node_ids

# The brokers pool gets the ids 3-5 instead of 100-102.
renumbered := fixtures.changed([
	{"op": "replace", "path": "/facts/brokerNodeIds", "value": [3, 4, 5]},
	{"op": "replace", "path": "/nodePools/1/facts/nodeIds", "value": [3, 4, 5]},
])

# One more broker: 103 is new, 100-102 stay.
scaled_up := fixtures.changed([
	{"op": "replace", "path": "/facts/brokerNodeIds", "value": [100, 101, 102, 103]},
	{"op": "replace", "path": "/nodePools/1/facts/nodeIds", "value": [100, 101, 102, 103]},
	{"op": "replace", "path": "/nodePools/1/facts/replicas", "value": 4},
])

test_quiet_when_ids_stay_or_the_pool_grows_or_shrinks if {
	count(node_ids.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(node_ids.violation) == 0 with input as fixtures.upgrade(scaled_up, fixtures.cluster)
	count(node_ids.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, scaled_up)
}

test_fires_when_a_pool_gets_other_ids if {
	results := node_ids.violation with input as fixtures.upgrade(renumbered, fixtures.cluster)
	{[r.kind, r.name] | some r in results} == {["KafkaNodePool", "brokers"]}
	some result in results
	contains(result.msg, "change from [100, 101, 102] to [3, 4, 5]")
	contains(result.msg, "strimzi.io/next-node-ids: \"[100-102]\"")
}

test_quiet_without_a_base if {
	count(node_ids.violation) == 0 with input as {"clusters": [renumbered], "base": null}
}
