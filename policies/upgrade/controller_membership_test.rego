package kafkac.rules.upgrade.controller_membership_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.controller_membership

dynamic(ids) := json.patch(fixtures.cluster, [
	{"op": "replace", "path": "/facts/controllerQuorum", "value": "dynamic"},
	{"op": "replace", "path": "/facts/controllerNodeIds", "value": ids},
])

test_quiet_when_the_controllers_stay if {
	count(controller_membership.violation) == 0 with input as fixtures.upgrade(dynamic([0, 1, 2]), dynamic([0, 1, 2]))
}

test_quiet_for_a_static_quorum if {
	five := fixtures.changed([{"op": "replace", "path": "/facts/controllerNodeIds", "value": [0, 1, 2, 3, 4]}])
	count(controller_membership.violation) == 0 with input as fixtures.upgrade(five, fixtures.cluster)
}

test_a_scale_up_says_who_joins if {
	results := controller_membership.violation with input as fixtures.upgrade(dynamic([0, 1, 2, 3, 4]), dynamic([0, 1, 2]))
	{[r.id, r.kind, r.name, r.path] | some r in results} == {["upgrade.controller-membership", "KafkaNodePool", "controllers", ["spec", "replicas"]]}
	some r in results
	endswith(r.msg, "controllers [3, 4] join the quorum by themselves")
}

test_a_scale_down_says_who_the_job_removes if {
	results := controller_membership.violation with input as fixtures.upgrade(dynamic([0, 1, 2]), dynamic([0, 1, 2, 3, 4]))
	some r in results
	endswith(r.msg, "the post-upgrade rebalance Job removes voters [3, 4] from the quorum once their pods are gone")
}

test_a_replacement_says_both if {
	results := controller_membership.violation with input as fixtures.upgrade(dynamic([1, 2, 3]), dynamic([0, 1, 2]))
	some r in results
	contains(r.msg, "controllers [3] join the quorum by themselves, and the post-upgrade rebalance Job removes voters [0]")
}

test_no_information_when_the_majority_is_lost if {
	count(controller_membership.violation) == 0 with input as fixtures.upgrade(dynamic([0, 1]), dynamic([0, 1, 2, 3, 4]))
}
