package kafkac.rules.operability.pdb_test

import data.kafkac.fixtures
import data.kafkac.rules.operability.pdb

test_quiet_with_a_budget_of_one if {
	count(pdb.violation) == 0 with input as fixtures.rendered([fixtures.statefulset, fixtures.pdb])
}

test_fires_without_a_budget if {
	results := pdb.violation with input as fixtures.rendered([fixtures.statefulset])
	{[r.kind, r.file] | some r in results} == {["StatefulSet", "templates/broker/statefulset.yaml"]}
}

test_fires_when_the_budget_selects_other_pods if {
	other := json.patch(fixtures.pdb, [{"op": "replace", "path": "/object/spec/selector/matchLabels", "value": {"app": "other"}}])
	count(pdb.violation) == 1 with input as fixtures.rendered([fixtures.statefulset, other])
}

test_fires_when_more_than_one_may_go if {
	loose := json.patch(fixtures.pdb, [{"op": "replace", "path": "/object/spec/maxUnavailable", "value": 2}])
	results := pdb.violation with input as fixtures.rendered([fixtures.statefulset, loose])
	fixtures.paths(results) == {["spec", "maxUnavailable"]}
}
