package kafkac.rules.mirror.remote_connection_test

import data.kafkac.mirror_fixtures as fixtures
import data.kafkac.rules.mirror.remote_connection

test_quiet_with_tls_and_credentials if {
	count(remote_connection.violation) == 0 with input as fixtures.spec(fixtures.mirror)
}

test_fires_on_a_plaintext_remote_source if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror/clusters/1/tls", "value": false}])
	results := remote_connection.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0, "source", "bootstrapServers"]}
	some result in results
	contains(result.msg, "primary.example.com:9093")
}

test_fires_on_a_remote_source_without_credentials if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror/clusters/1/authentication", "value": null}])
	results := remote_connection.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0, "source"]}
}

test_quiet_for_a_source_inside_the_kubernetes_cluster if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/mirror/clusters/1/remote", "value": false},
		{"op": "replace", "path": "/facts/mirror/clusters/1/tls", "value": false},
		{"op": "replace", "path": "/facts/mirror/clusters/1/authentication", "value": null},
	])
	count(remote_connection.violation) == 0 with input as fixtures.spec(c)
}

test_the_target_is_left_to_the_connect_rules if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/mirror/clusters/0/remote", "value": true},
		{"op": "replace", "path": "/facts/mirror/clusters/0/tls", "value": false},
	])
	count(remote_connection.violation) == 0 with input as fixtures.spec(c)
}

test_quiet_for_a_kafka_connect if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror", "value": null}])
	count(remote_connection.violation) == 0 with input as fixtures.spec(c)
}
