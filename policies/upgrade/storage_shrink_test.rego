package kafkac.rules.upgrade.storage_shrink_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.storage_shrink

sized(size, bytes) := fixtures.changed([
	{"op": "replace", "path": "/nodePools/1/facts/volumes/0/size", "value": size},
	{"op": "replace", "path": "/nodePools/1/facts/volumes/0/sizeBytes", "value": bytes},
])

jbod(volumes) := fixtures.changed([
	{"op": "replace", "path": "/nodePools/1/facts/storageType", "value": "jbod"},
	{"op": "replace", "path": "/nodePools/1/facts/volumes", "value": volumes},
])

volume(id, size, bytes) := {
	"id": id, "type": "persistent-claim", "size": size, "sizeBytes": bytes,
	"class": null, "path": ["spec", "storage", "volumes", id],
}

test_quiet_when_unchanged_or_grown if {
	count(storage_shrink.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
	count(storage_shrink.violation) == 0 with input as fixtures.upgrade(sized("200Gi", 214748364800), fixtures.cluster)
}

test_fires_on_a_smaller_volume if {
	results := storage_shrink.violation with input as fixtures.upgrade(sized("50Gi", 53687091200), fixtures.cluster)
	fixtures.paths(results) == {["spec", "storage", "size"]}
}

test_fires_on_a_removed_jbod_volume if {
	base := jbod([volume(0, "1Ti", 1099511627776), volume(1, "1Ti", 1099511627776)])
	head := jbod([volume(0, "1Ti", 1099511627776)])
	results := storage_shrink.violation with input as fixtures.upgrade(head, base)
	fixtures.paths(results) == {["spec", "storage", "volumes"]}
}
