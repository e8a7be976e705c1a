package kafkac.rules.operability.spread_test

import data.kafkac.fixtures
import data.kafkac.rules.operability.spread

test_quiet_with_anti_affinity_or_spread if {
	count(spread.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	only_spread := fixtures.changed([{"op": "remove", "path": "/nodePools/0/facts/pod/affinity"}])
	count(spread.violation) == 0 with input as fixtures.spec(only_spread)
}

test_quiet_for_a_single_node if {
	cluster := fixtures.changed([
		{"op": "replace", "path": "/nodePools/0/facts/pod", "value": {}},
		{"op": "replace", "path": "/nodePools/0/facts/replicas", "value": 1},
	])
	count(spread.violation) == 0 with input as fixtures.spec(cluster)
}

test_fires_without_either if {
	cluster := fixtures.changed([{"op": "replace", "path": "/nodePools/0/facts/pod", "value": {"tolerations": []}}])
	results := spread.violation with input as fixtures.spec(cluster)
	{r.name | some r in results} == {"controllers"}
}
