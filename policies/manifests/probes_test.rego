package kafkac.rules.manifests.probes_test

import data.kafkac.fixtures
import data.kafkac.rules.manifests.probes

test_quiet_with_both_probes if {
	count(probes.violation) == 0 with input as fixtures.rendered([fixtures.statefulset])
}

test_fires_for_each_missing_probe if {
	changed := fixtures.statefulset_changed([
		{"op": "remove", "path": "/object/spec/template/spec/containers/0/readinessProbe"},
		{"op": "remove", "path": "/object/spec/template/spec/containers/0/livenessProbe"},
	])
	results := probes.violation with input as fixtures.rendered([changed])
	fixtures.paths(results) == {
		["spec", "template", "spec", "containers", 0, "readinessProbe"],
		["spec", "template", "spec", "containers", 0, "livenessProbe"],
	}
}

test_quiet_on_jobs if {
	job := json.patch(fixtures.statefulset_changed([{"op": "remove", "path": "/object/spec/template/spec/containers/0/readinessProbe"}]), [{"op": "replace", "path": "/object/kind", "value": "Job"}])
	count(probes.violation) == 0 with input as fixtures.rendered([job])
}
