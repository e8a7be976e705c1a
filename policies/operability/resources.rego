# METADATA
# title: Node pools request CPU and memory and limit memory
# description: >-
#   Without requests the scheduler may put a Kafka node where there is no room
#   for it, and under pressure it is among the first pods evicted; without a
#   memory limit it can grow into its neighbours, and kafkac cannot size the
#   JVM heap from it. A memory limit equal to the request gives the pod the
#   Guaranteed memory class.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
#     description: Kubernetes, resource management for pods and containers
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#con-common-configuration-resources-reference
#     description: Strimzi, common configuration, resources
# custom:
#   id: operability.resources
#   input: spec
package kafkac.rules.operability.resources

import data.kafkac.lib

required := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

violation contains result if {
	some cluster in input.clusters
	some pool in cluster.nodePools
	some need in required
	path := array.concat(["spec", "resources"], need)
	object.get(_resources(cluster, pool), need, null) == null
	result := lib.violation("operability.resources", pool.resource, path, sprintf(
		"%s: %s is not set; every Kafka node needs CPU and memory requests and a memory limit",
		[lib.named(pool.resource), lib.field(path)],
	))
}

# The pool's resources, else the Kafka's spec.kafka.resources (Strimzi's v1beta2 API).
_resources(cluster, pool) := pool.resource.spec.resources if {
	is_object(pool.resource.spec.resources)
	cluster
}

else := object.get(cluster.kafka, ["spec", "kafka", "resources"], {})
