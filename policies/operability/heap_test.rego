package kafkac.rules.operability.heap_test

import data.kafkac.fixtures
import data.kafkac.rules.operability.heap

with_heap(value, bytes) := fixtures.changed([{"op": "replace", "path": "/nodePools/1/facts/heap", "value": {
	"bytes": bytes, "value": value, "kind": "KafkaNodePool", "name": "brokers",
	"path": ["spec", "jvmOptions", "-Xmx"],
}}])

test_quiet_when_left_to_kafkac_or_at_most_three_quarters if {
	count(heap.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	count(heap.violation) == 0 with input as fixtures.spec(with_heap("6g", 6442450944))
}

test_fires_above_three_quarters_of_the_memory if {
	results := heap.violation with input as fixtures.spec(with_heap("7g", 7516192768))
	fixtures.paths(results) == {["spec", "jvmOptions", "-Xmx"]}
	some result in results
	contains(result.msg, "more than 75% of node pool brokers's memory of 8Gi")
}
