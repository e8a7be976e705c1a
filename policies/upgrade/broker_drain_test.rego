package kafkac.rules.upgrade.broker_drain_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.broker_drain

# A KRaft cluster's broker pool scaled from 3 to 2: node 102 goes away, and the chart drains it.
scaled_down := fixtures.changed([
	{"op": "add", "path": "/facts/drainsBrokers", "value": true},
	{"op": "replace", "path": "/facts/brokerNodeIds", "value": [100, 101]},
	{"op": "replace", "path": "/nodePools/1/facts/nodeIds", "value": [100, 101]},
	{"op": "replace", "path": "/nodePools/1/facts/replicas", "value": 2},
])

left_out(text) := json.patch(scaled_down, [{"op": "add", "path": "/kafka/metadata/annotations", "value": {"kafkac.io/drained-node-ids": text}}])

test_quiet_when_brokers_stay_or_grow if {
	count(broker_drain.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(broker_drain.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, scaled_down)
}

test_reports_the_drain_of_a_scale_down if {
	results := broker_drain.violation with input as fixtures.upgrade(scaled_down, fixtures.cluster)
	fixtures.paths(results) == {["spec", "replicas"]}
	some result in results
	contains(result.msg, "KafkaNodePool brokers: spec.replicas removes brokers [102]; the chart's drain Job moves")
}

test_says_what_is_lost_for_brokers_left_out_of_the_drain if {
	results := broker_drain.violation with input as fixtures.upgrade(left_out("[102]"), fixtures.cluster)
	some result in results
	contains(result.msg, "leaves out of the drain: what they still hold is lost")
}

test_quiet_for_a_chart_that_does_not_drain if {
	head := json.patch(scaled_down, [{"op": "replace", "path": "/facts/drainsBrokers", "value": false}])
	count(broker_drain.violation) == 0 with input as fixtures.upgrade(head, fixtures.cluster)
}
