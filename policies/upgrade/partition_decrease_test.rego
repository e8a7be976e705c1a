package kafkac.rules.upgrade.partition_decrease_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.partition_decrease

partitions(n) := fixtures.changed([
	{"op": "replace", "path": "/topics/0/resource/spec/partitions", "value": n},
	{"op": "replace", "path": "/topics/0/facts/partitions", "value": n},
])

test_quiet_without_base_and_on_growth if {
	count(partition_decrease.violation) == 0 with input as fixtures.spec(partitions(1))
	count(partition_decrease.violation) == 0 with input as fixtures.upgrade(partitions(24), fixtures.cluster)
}

test_fires_on_fewer_partitions if {
	results := partition_decrease.violation with input as fixtures.upgrade(partitions(6), fixtures.cluster)
	{[r.kind, r.name, r.path] | some r in results} == {["KafkaTopic", "orders", ["spec", "partitions"]]}
}

test_quiet_for_another_cluster_of_the_same_name_elsewhere if {
	base := json.patch(partitions(24), [{"op": "replace", "path": "/namespace", "value": "other"}])
	count(partition_decrease.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, base)
}

test_compares_the_partitions_in_effect_when_the_spec_leaves_them_out if {
	head := fixtures.changed([
		{"op": "remove", "path": "/topics/0/resource/spec/partitions"},
		{"op": "replace", "path": "/topics/0/facts/partitions", "value": 1},
	])
	count(partition_decrease.violation) == 1 with input as fixtures.upgrade(head, fixtures.cluster)
	unmanaged := json.patch(head, [{"op": "replace", "path": "/topics/0/facts", "value": null}])
	count(partition_decrease.violation) == 0 with input as fixtures.upgrade(unmanaged, fixtures.cluster)
}
