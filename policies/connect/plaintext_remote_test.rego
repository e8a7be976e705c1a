package kafkac.rules.connect.plaintext_remote_test

import data.kafkac.connect_fixtures as fixtures
import data.kafkac.rules.connect.plaintext_remote

test_quiet_in_the_cluster_without_tls if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/tls", "value": false}])
	count(plaintext_remote.violation) == 0 with input as fixtures.spec(c)
}

test_quiet_to_a_remote_kafka_with_tls if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/remote", "value": true}])
	count(plaintext_remote.violation) == 0 with input as fixtures.spec(c)
}

test_fires_to_a_remote_kafka_without_tls if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/remote", "value": true},
		{"op": "replace", "path": "/facts/tls", "value": false},
	])
	results := plaintext_remote.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "bootstrapServers"]}
}
