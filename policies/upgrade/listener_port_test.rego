package kafkac.rules.upgrade.listener_port_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.listener_port

test_quiet_when_listeners_stay_or_are_added if {
	count(listener_port.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	added := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/listeners/-", "value": {"name": "tls", "port": 9093, "type": "internal", "tls": true}}])
	count(listener_port.violation) == 0 with input as fixtures.upgrade(added, fixtures.cluster)
}

test_fires_on_a_port_change if {
	moved := fixtures.changed([{"op": "replace", "path": "/kafka/spec/kafka/listeners/0/port", "value": 9095}])
	results := listener_port.violation with input as fixtures.upgrade(moved, fixtures.cluster)
	fixtures.paths(results) == {["spec", "kafka", "listeners", 0, "port"]}
}

test_fires_on_a_removed_listener if {
	renamed := fixtures.changed([{"op": "replace", "path": "/kafka/spec/kafka/listeners/0/name", "value": "clients"}])
	results := listener_port.violation with input as fixtures.upgrade(renamed, fixtures.cluster)
	fixtures.paths(results) == {["spec", "kafka", "listeners"]}
}
