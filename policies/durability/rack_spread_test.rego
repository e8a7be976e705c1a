package kafkac.rules.durability.rack_spread_test

import data.kafkac.fixtures
import data.kafkac.rules.durability.rack_spread

test_quiet_when_brokers_spread_over_the_rack_key if {
	count(rack_spread.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_quiet_without_rack_awareness if {
	cluster := fixtures.changed([
		{"op": "remove", "path": "/kafka/spec/kafka/rack"},
		{"op": "replace", "path": "/nodePools/1/facts/pod", "value": {}},
	])
	count(rack_spread.violation) == 0 with input as fixtures.spec(cluster)
}

test_fires_when_brokers_spread_over_hosts_only if {
	cluster := fixtures.changed([{"op": "remove", "path": "/nodePools/1/facts/pod/topologySpreadConstraints"}])
	results := rack_spread.violation with input as fixtures.spec(cluster)
	{r.name | some r in results} == {"brokers"}
}

test_quiet_with_preferred_anti_affinity_on_the_zone if {
	pod := {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
		"weight": 100,
		"podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone"},
	}]}}}
	cluster := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/pod", "value": pod}])
	count(rack_spread.violation) == 0 with input as fixtures.spec(cluster)
}
