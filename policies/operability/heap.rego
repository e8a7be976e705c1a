# METADATA
# title: The JVM heap leaves room below the memory limit
# description: >-
#   The JVM uses memory beside its heap (metaspace, thread stacks, network
#   and page buffers), and a container that goes over its memory limit is
#   killed. Strimzi sizes the heap to half the memory by default, as kafkac
#   does; an explicit -Xmx or -Xms above three quarters of the limit (or of the
#   request, when there is no limit) leaves too little.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-JvmOptions-reference
#     description: Strimzi, JvmOptions schema reference
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits
#     description: Kubernetes, requests and limits
# custom:
#   id: operability.heap
#   input: spec
package kafkac.rules.operability.heap

import data.kafkac.lib

# The share of the memory limit the heap may take.
share := 0.75

violation contains result if {
	some cluster in input.clusters
	some pool in cluster.nodePools
	heap := pool.facts.heap
	memory := pool.facts.memoryBytes
	is_number(memory)
	heap.bytes > memory * share
	result := lib.violation_at("operability.heap", heap.kind, heap.name, heap.path, sprintf(
		"%s %s: %s is %s, more than %d%% of node pool %s's memory of %s; lower it or raise the memory limit",
		[heap.kind, heap.name, lib.field(heap.path), heap.value, share * 100, pool.name, pool.facts.memory],
	))
}
