package kafkac.rules.security.external_listener_test

import data.kafkac.fixtures
import data.kafkac.rules.security.external_listener

listener(changes) := object.union({"name": "external", "port": 9094, "type": "loadbalancer"}, changes)

with_listener(l) := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/listeners/-", "value": l}])

test_quiet_on_internal_listeners_without_tls if {
	count(external_listener.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_quiet_on_an_external_listener_with_tls_and_authentication if {
	cluster := with_listener(listener({"tls": true, "authentication": {"type": "scram-sha-512"}}))
	count(external_listener.violation) == 0 with input as fixtures.spec(cluster)
}

test_fires_without_tls if {
	cluster := with_listener(listener({"tls": false, "authentication": {"type": "tls"}}))
	results := external_listener.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "kafka", "listeners", 1, "tls"]}
}

test_fires_without_authentication if {
	every type in ["route", "nodeport", "ingress", "loadbalancer"] {
		cluster := with_listener(listener({"type": type, "tls": true}))
		results := external_listener.violation with input as fixtures.spec(cluster)
		fixtures.paths(results) == {["spec", "kafka", "listeners", 1]}
	}
}
