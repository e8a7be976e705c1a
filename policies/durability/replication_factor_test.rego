package kafkac.rules.durability.replication_factor_test

import data.kafkac.fixtures
import data.kafkac.rules.durability.replication_factor

test_quiet_on_a_replicated_cluster if {
	count(replication_factor.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_fires_on_a_low_default_replication_factor if {
	cluster := fixtures.changed([{"op": "replace", "path": "/kafka/spec/kafka/config/default.replication.factor", "value": "2"}])
	results := replication_factor.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "kafka", "config", "default.replication.factor"]}
}

test_fires_on_kafkas_default_of_one_when_unset if {
	cluster := fixtures.changed([{"op": "remove", "path": "/kafka/spec/kafka/config/default.replication.factor"}])
	some result in replication_factor.violation with input as fixtures.spec(cluster)
	contains(result.msg, "is 1 (Kafka's default)")
}

test_fires_on_internal_topics if {
	cluster := fixtures.changed([
		{"op": "replace", "path": "/kafka/spec/kafka/config/offsets.topic.replication.factor", "value": 1},
		{"op": "replace", "path": "/kafka/spec/kafka/config/transaction.state.log.replication.factor", "value": 2},
	])
	count(replication_factor.violation) == 2 with input as fixtures.spec(cluster)
}

test_fires_on_a_topic if {
	cluster := fixtures.changed([{"op": "replace", "path": "/topics/0/resource/spec/replicas", "value": 2}])
	results := replication_factor.violation with input as fixtures.spec(cluster)
	{[r.kind, r.name] | some r in results} == {["KafkaTopic", "orders"]}
}
