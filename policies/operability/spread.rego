# METADATA
# title: Kafka nodes are spread over Kubernetes nodes
# description: >-
#   Without pod anti-affinity or a topology spread constraint the scheduler
#   may put several brokers, or a majority of the controllers, on one
#   Kubernetes node, and losing that node then loses partitions or the KRaft
#   quorum. Set template.pod.affinity.podAntiAffinity or
#   template.pod.topologySpreadConstraints on the node pool or the Kafka.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#assembly-scheduling-str
#     description: Strimzi, configuring pod scheduling
#   - ref: https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
#     description: Kubernetes, inter-pod affinity and anti-affinity
# custom:
#   id: operability.spread
#   input: spec
package kafkac.rules.operability.spread

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	some pool in cluster.nodePools
	pool.facts.replicas > 1
	not spread(pool.facts.pod)
	path := ["spec", "template", "pod", "affinity"]
	result := lib.violation("operability.spread", pool.resource, path, sprintf(
		"%s: its %d %s nodes may be scheduled on one Kubernetes node; add template.pod.affinity.podAntiAffinity or template.pod.topologySpreadConstraints here or in the Kafka",
		[lib.named(pool.resource), pool.facts.replicas, concat(" and ", pool.facts.roles)],
	))
}

spread(pod) if count(object.get(pod, "topologySpreadConstraints", [])) > 0

spread(pod) if count(object.get(pod, ["affinity", "podAntiAffinity"], {})) > 0
