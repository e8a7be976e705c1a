package kafkac.rules.durability.unclean_leader_election_test

import data.kafkac.fixtures
import data.kafkac.rules.durability.unclean_leader_election

test_quiet_by_default_and_when_false if {
	count(unclean_leader_election.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	cluster := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/config/unclean.leader.election.enable", "value": false}])
	count(unclean_leader_election.violation) == 0 with input as fixtures.spec(cluster)
}

test_fires_when_enabled_on_the_cluster_or_a_topic if {
	cluster := fixtures.changed([
		{"op": "add", "path": "/kafka/spec/kafka/config/unclean.leader.election.enable", "value": "True"},
		{"op": "add", "path": "/topics/0/resource/spec/config/unclean.leader.election.enable", "value": true},
	])
	results := unclean_leader_election.violation with input as fixtures.spec(cluster)
	{r.kind | some r in results} == {"Kafka", "KafkaTopic"}
}
