package kafkac.rules.connect.internal_topics_test

import data.kafkac.connect_fixtures as fixtures
import data.kafkac.rules.connect.internal_topics

test_quiet_with_three_replicas_and_min_isr_two if {
	count(internal_topics.violation) == 0 with input as fixtures.spec(fixtures.connect)
}

test_fires_below_min_isr_plus_one if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/replicationFactors/offset.storage.replication.factor", "value": 2}])
	results := internal_topics.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "config", "offset.storage.replication.factor"]}
}

test_minus_one_takes_the_brokers_default if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/replicationFactors/config.storage.replication.factor", "value": -1},
		{"op": "replace", "path": "/facts/defaultReplicationFactor", "value": 1},
	])
	results := internal_topics.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "config", "config.storage.replication.factor"]}
}

test_minus_one_is_not_judged_without_the_kafka if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/replicationFactors/config.storage.replication.factor", "value": -1},
		{"op": "replace", "path": "/facts/defaultReplicationFactor", "value": null},
	])
	count(internal_topics.violation) == 0 with input as fixtures.spec(c)
}
