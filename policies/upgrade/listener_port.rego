# METADATA
# title: Listener port changes and removals are flagged
# description: >-
#   Clients keep their bootstrap address in their own configuration: a
#   listener that moves to another port or goes away breaks every client
#   that still uses it, at the moment the chart is upgraded. Such a change is
#   allowed, with a warning to plan the clients' move.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-GenericKafkaListener-reference
#     description: Strimzi, GenericKafkaListener schema reference
# custom:
#   id: upgrade.listener-port
#   input: spec and base
package kafkac.rules.upgrade.listener_port

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some i, listener in cluster.kafka.spec.kafka.listeners
	some old in base.kafka.spec.kafka.listeners
	old.name == listener.name
	old.port != listener.port
	path := ["spec", "kafka", "listeners", i, "port"]
	result := lib.violation("upgrade.listener-port", cluster.kafka, path, sprintf(
		"%s: %s moves listener %s from %d to %d; clients that bootstrap on port %d break when this is deployed",
		[lib.named(cluster.kafka), lib.field(path), listener.name, old.port, listener.port, old.port],
	))
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some old in base.kafka.spec.kafka.listeners
	not old.name in {listener.name | some listener in cluster.kafka.spec.kafka.listeners}
	path := ["spec", "kafka", "listeners"]
	result := lib.violation("upgrade.listener-port", cluster.kafka, path, sprintf(
		"%s: listener %s (port %d) is removed; clients that bootstrap on it break when this is deployed",
		[lib.named(cluster.kafka), old.name, old.port],
	))
}
