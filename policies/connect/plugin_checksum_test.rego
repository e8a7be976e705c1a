package kafkac.rules.connect.plugin_checksum_test

import data.kafkac.connect_fixtures as fixtures
import data.kafkac.rules.connect.plugin_checksum

test_quiet_when_every_artifact_is_pinned if {
	count(plugin_checksum.violation) == 0 with input as fixtures.spec(fixtures.connect)
}

test_fires_for_an_artifact_without_a_checksum if {
	c := fixtures.changed([{
		"op": "add", "path": "/connect/spec/build/plugins/0/artifacts/-",
		"value": {"type": "maven", "group": "g", "artifact": "a", "version": "1"},
	}])
	results := plugin_checksum.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec", "build", "plugins", 0, "artifacts", 1]}
}
