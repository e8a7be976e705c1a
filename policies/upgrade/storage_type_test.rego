package kafkac.rules.upgrade.storage_type_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.storage_type

test_quiet_when_unchanged if {
	count(storage_type.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
}

test_fires_on_a_storage_type_change if {
	head := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/storageType", "value": "jbod"}])
	results := storage_type.violation with input as fixtures.upgrade(head, fixtures.cluster)
	fixtures.paths(results) == {["spec", "storage", "type"]}
}

test_fires_on_a_volume_type_or_class_change if {
	head := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/volumes/0/class", "value": "fast-ssd"}])
	results := storage_type.violation with input as fixtures.upgrade(head, fixtures.cluster)
	fixtures.paths(results) == {["spec", "storage", "class"]}
	some result in results
	contains(result.msg, "unset (the default class) to fast-ssd")
	ephemeral := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/volumes/0/type", "value": "ephemeral"}])
	count(storage_type.violation) == 1 with input as fixtures.upgrade(ephemeral, fixtures.cluster)
}
