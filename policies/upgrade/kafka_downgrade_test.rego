package kafkac.rules.upgrade.kafka_downgrade_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.kafka_downgrade

version(v, release) := fixtures.changed([
	{"op": "replace", "path": "/facts/kafkaVersion", "value": v},
	{"op": "replace", "path": "/facts/kafkaRelease", "value": release},
	{"op": "replace", "path": "/facts/metadataRelease", "value": release},
])

pinned(cluster, metadata_version, level) := json.patch(cluster, [
	{"op": "replace", "path": "/facts/metadataVersion", "value": metadata_version},
	{"op": "replace", "path": "/facts/metadataRelease", "value": array.slice(level, 0, 2)},
	{"op": "replace", "path": "/facts/metadataLevel", "value": level},
])

test_quiet_on_an_upgrade_or_a_patch_downgrade if {
	count(kafka_downgrade.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, version("4.2.1", [4, 2]))
	count(kafka_downgrade.violation) == 0 with input as fixtures.upgrade(version("4.3.0", [4, 3]), fixtures.cluster)
}

test_quiet_on_a_downgrade_to_the_pinned_metadata_version if {
	base := pinned(fixtures.cluster, "4.2-IV0", [4, 2, 0])
	head := pinned(version("4.2.1", [4, 2]), "4.2-IV0", [4, 2, 0])
	count(kafka_downgrade.violation) == 0 with input as fixtures.upgrade(head, base)
}

test_fires_below_the_metadata_version if {
	results := kafka_downgrade.violation with input as fixtures.upgrade(version("4.2.1", [4, 2]), fixtures.cluster)
	fixtures.paths(results) == {["spec", "kafka", "version"]}
}

test_fires_on_a_lower_metadata_version if {
	base := pinned(fixtures.cluster, "4.3-IV1", [4, 3, 1])
	head := pinned(fixtures.cluster, "4.3-IV0", [4, 3, 0])
	results := kafka_downgrade.violation with input as fixtures.upgrade(head, base)
	fixtures.paths(results) == {["spec", "kafka", "metadataVersion"]}
}
