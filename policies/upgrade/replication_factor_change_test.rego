package kafkac.rules.upgrade.replication_factor_change_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.replication_factor_change

replicas(n) := fixtures.changed([
	{"op": "replace", "path": "/topics/0/resource/spec/replicas", "value": n},
	{"op": "replace", "path": "/topics/0/facts/replicas", "value": n},
])

test_quiet_when_unchanged if {
	count(replication_factor_change.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
}

test_fires_up_and_down if {
	count(replication_factor_change.violation) == 1 with input as fixtures.upgrade(replicas(4), fixtures.cluster)
	count(replication_factor_change.violation) == 1 with input as fixtures.upgrade(replicas(2), fixtures.cluster)
}
