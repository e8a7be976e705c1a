package kafkac.rules.upgrade.broker_spread_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.broker_spread

# A KRaft cluster's broker pool scaled from 3 to 4: node 103 joins.
scaled_up := fixtures.changed([
	{"op": "add", "path": "/facts/drainsBrokers", "value": true},
	{"op": "replace", "path": "/facts/brokerNodeIds", "value": [100, 101, 102, 103]},
	{"op": "replace", "path": "/nodePools/1/facts/nodeIds", "value": [100, 101, 102, 103]},
	{"op": "replace", "path": "/nodePools/1/facts/replicas", "value": 4},
])

with_topics(cluster) := json.patch(cluster, [{"op": "add", "path": "/topics", "value": [
	{"name": "orders", "resource": {}, "facts": {"partitions": 12, "replicas": 3}},
	{"name": "external", "resource": {}, "facts": null},
]}])

test_quiet_when_brokers_stay_or_go if {
	count(broker_spread.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(broker_spread.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, scaled_up)
}

test_reports_the_spread_with_the_share_that_moves if {
	results := broker_spread.violation with input as fixtures.upgrade(with_topics(scaled_up), fixtures.cluster)
	fixtures.paths(results) == {["spec", "replicas"]}
	some result in results
	contains(result.msg, "spec.replicas adds brokers [103]; after the upgrade the chart's rebalance Job moves")
	contains(result.msg, "about 9 of the 36 replicas of its managed KafkaTopics move")
}

test_quiet_for_a_chart_that_does_not_move_partitions if {
	head := json.patch(scaled_up, [{"op": "replace", "path": "/facts/drainsBrokers", "value": false}])
	count(broker_spread.violation) == 0 with input as fixtures.upgrade(head, fixtures.cluster)
}
