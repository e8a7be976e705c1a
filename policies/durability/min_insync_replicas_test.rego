package kafkac.rules.durability.min_insync_replicas_test

import data.kafkac.fixtures
import data.kafkac.rules.durability.min_insync_replicas

test_quiet_with_two_of_three if {
	count(min_insync_replicas.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_fires_below_two if {
	cluster := fixtures.changed([{"op": "replace", "path": "/kafka/spec/kafka/config/min.insync.replicas", "value": 1}])
	results := min_insync_replicas.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "kafka", "config", "min.insync.replicas"]}
}

test_fires_on_kafkas_default_when_unset if {
	cluster := fixtures.changed([{"op": "remove", "path": "/kafka/spec/kafka/config/transaction.state.log.min.isr"}])
	count(min_insync_replicas.violation) == 0 with input as fixtures.spec(cluster)
	unset := fixtures.changed([{"op": "remove", "path": "/kafka/spec/kafka/config/min.insync.replicas"}])
	count(min_insync_replicas.violation) == 1 with input as fixtures.spec(unset)
}

test_fires_when_equal_to_the_replication_factor if {
	cluster := fixtures.changed([{"op": "replace", "path": "/kafka/spec/kafka/config/min.insync.replicas", "value": 3}])
	some result in min_insync_replicas.violation with input as fixtures.spec(cluster)
	contains(result.msg, "one broker down stops writes")
}

test_fires_on_a_topic if {
	low := fixtures.changed([{"op": "replace", "path": "/topics/0/resource/spec/config/min.insync.replicas", "value": 1}])
	count(min_insync_replicas.violation) == 1 with input as fixtures.spec(low)
	high := fixtures.changed([{"op": "replace", "path": "/topics/0/resource/spec/config/min.insync.replicas", "value": 3}])
	count(min_insync_replicas.violation) == 1 with input as fixtures.spec(high)
}
