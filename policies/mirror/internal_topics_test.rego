package kafkac.rules.mirror.internal_topics_test

import data.kafkac.mirror_fixtures as fixtures
import data.kafkac.rules.mirror.internal_topics

test_quiet_with_three_replicas if {
	count(internal_topics.violation) == 0 with input as fixtures.spec(fixtures.mirror)
}

test_fires_below_min_isr_plus_one if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror/topicReplicationFactors/0/factor", "value": 1}])
	results := internal_topics.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0, "sourceConnector", "config", "offset-syncs.topic.replication.factor"]}
}

test_minus_one_on_the_target_takes_its_default if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/defaultReplicationFactor", "value": 1}])
	results := internal_topics.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0, "checkpointConnector", "config", "checkpoints.topic.replication.factor"]}
}

test_minus_one_on_the_source_is_not_judged if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/mirror/topicReplicationFactors/0/factor", "value": -1},
		{"op": "replace", "path": "/facts/defaultReplicationFactor", "value": 1},
		{"op": "replace", "path": "/facts/mirror/topicReplicationFactors/1/factor", "value": 3},
	])
	count(internal_topics.violation) == 0 with input as fixtures.spec(c)
}
