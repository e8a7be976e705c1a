package kafkac.rules.mirror.offset_sync_test

import data.kafkac.mirror_fixtures as fixtures
import data.kafkac.rules.mirror.offset_sync

test_quiet_with_group_offsets_synced if {
	count(offset_sync.violation) == 0 with input as fixtures.spec(fixtures.mirror)
}

test_fires_without_a_checkpoint_connector if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror/mirrors/0/checkpointConnector", "value": false}])
	results := offset_sync.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0]}
}

test_fires_when_the_checkpoint_connector_does_not_sync if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/mirror/mirrors/0/syncGroupOffsets", "value": false}])
	results := offset_sync.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "mirrors", 0, "checkpointConnector", "config", "sync.group.offsets.enabled"]}
}

test_quiet_for_a_mirror_that_copies_no_records if {
	c := fixtures.changed([
		{"op": "replace", "path": "/facts/mirror/mirrors/0/sourceConnector", "value": false},
		{"op": "replace", "path": "/facts/mirror/mirrors/0/checkpointConnector", "value": false},
	])
	count(offset_sync.violation) == 0 with input as fixtures.spec(c)
}
