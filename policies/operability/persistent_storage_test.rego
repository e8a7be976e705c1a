package kafkac.rules.operability.persistent_storage_test

import data.kafkac.fixtures
import data.kafkac.rules.operability.persistent_storage

test_quiet_on_persistent_claims if {
	count(persistent_storage.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_fires_on_ephemeral_storage if {
	cluster := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/volumes/0/type", "value": "ephemeral"}])
	results := persistent_storage.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "storage", "type"]}
}

test_fires_on_an_ephemeral_jbod_volume if {
	volume := {"id": 1, "type": "ephemeral", "size": null, "sizeBytes": null, "class": null, "path": ["spec", "storage", "volumes", 1]}
	cluster := fixtures.changed([{"op": "add", "path": "/nodePools/1/facts/volumes/-", "value": volume}])
	results := persistent_storage.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "storage", "volumes", 1, "type"]}
}
