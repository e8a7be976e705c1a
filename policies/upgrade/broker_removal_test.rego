package kafkac.rules.upgrade.broker_removal_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.broker_removal

# The broker pool scaled from 3 to 2: node 102 goes away.
scaled_down := fixtures.changed([
	{"op": "replace", "path": "/facts/brokerNodeIds", "value": [100, 101]},
	{"op": "replace", "path": "/nodePools/1/facts/nodeIds", "value": [100, 101]},
	{"op": "replace", "path": "/nodePools/1/facts/replicas", "value": 2},
])

drained(text) := json.patch(scaled_down, [{"op": "add", "path": "/kafka/metadata/annotations", "value": {"kafkac.io/drained-node-ids": text}}])

test_quiet_when_brokers_stay_or_grow if {
	count(broker_removal.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(broker_removal.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, scaled_down)
}

test_fires_on_a_scale_down if {
	results := broker_removal.violation with input as fixtures.upgrade(scaled_down, fixtures.cluster)
	{[r.kind, r.name, r.path] | some r in results} == {["KafkaNodePool", "brokers", ["spec", "replicas"]]}
	some result in results
	contains(result.msg, "KafkaNodePool brokers: spec.replicas removes brokers [102];")
}

test_quiet_when_acknowledged_as_drained if {
	count(broker_removal.violation) == 0 with input as fixtures.upgrade(drained("[102]"), fixtures.cluster)
}

test_fires_when_the_acknowledgement_misses_a_broker_or_is_unreadable if {
	count(broker_removal.violation) == 1 with input as fixtures.upgrade(drained("[101]"), fixtures.cluster)
	count(broker_removal.violation) == 1 with input as fixtures.upgrade(drained("102"), fixtures.cluster)
}

test_fires_on_the_kafka_when_the_pool_is_gone if {
	head := fixtures.changed([
		{"op": "replace", "path": "/facts/brokerNodeIds", "value": []},
		{"op": "remove", "path": "/nodePools/1"},
	])
	results := broker_removal.violation with input as fixtures.upgrade(head, fixtures.cluster)
	{[r.kind, r.path] | some r in results} == {["Kafka", ["metadata", "name"]]}
}

test_fires_on_the_roles_when_a_pool_stops_being_brokers if {
	head := fixtures.changed([
		{"op": "replace", "path": "/facts/brokerNodeIds", "value": []},
		{"op": "replace", "path": "/nodePools/1/facts/roles", "value": ["controller"]},
	])
	results := broker_removal.violation with input as fixtures.upgrade(head, fixtures.cluster)
	fixtures.paths(results) == {["spec", "roles"]}
}

test_quiet_when_the_chart_drains if {
	head := json.patch(scaled_down, [{"op": "add", "path": "/facts/drainsBrokers", "value": true}])
	count(broker_removal.violation) == 0 with input as fixtures.upgrade(head, fixtures.cluster)
}
