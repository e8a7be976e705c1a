# METADATA
# title: Brokers are spread across zones when rack awareness is on
# description: >-
#   Rack awareness places the replicas of a partition in different racks, but
#   only if the brokers themselves run in different zones. Without a
#   topology spread constraint or pod anti-affinity on the rack's topology
#   key, the scheduler may put every broker of a pool in one zone, and one
#   zone outage takes all replicas.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-Rack-reference
#     description: Strimzi, Rack schema reference
#   - ref: https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
#     description: Kubernetes, Pod topology spread constraints
# custom:
#   id: durability.rack-spread
#   input: spec
package kafkac.rules.durability.rack_spread

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	rack := cluster.kafka.spec.kafka.rack
	object.get(rack, "type", "topology-label") == "topology-label"
	some pool in lib.pools_with_role(cluster, "broker")
	pool.facts.replicas > 1
	not spreads(pool.facts.pod, rack.topologyKey)
	path := ["spec", "template", "pod"]
	result := lib.violation("durability.rack-spread", pool.resource, path, sprintf(
		"%s: rack awareness uses %s but nothing spreads the pool's brokers over it; add a topologySpreadConstraint or podAntiAffinity on %s to template.pod here or in the Kafka",
		[lib.named(pool.resource), rack.topologyKey, rack.topologyKey],
	))
}

spreads(pod, key) if {
	some constraint in object.get(pod, "topologySpreadConstraints", [])
	constraint.topologyKey == key
}

spreads(pod, key) if {
	some term in object.get(pod, ["affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], [])
	term.topologyKey == key
}

spreads(pod, key) if {
	some term in object.get(pod, ["affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"], [])
	term.podAffinityTerm.topologyKey == key
}
