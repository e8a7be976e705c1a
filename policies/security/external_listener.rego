# METADATA
# title: Listeners reachable from outside the cluster use TLS and authentication
# description: >-
#   A listener of type route, loadbalancer, nodeport or ingress is reachable
#   from outside the Kubernetes cluster. Without TLS its traffic, credentials
#   included, can be read on the way; without authentication anyone who
#   reaches the address is a client. Internal listeners are not checked here.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-GenericKafkaListener-reference
#     description: Strimzi, GenericKafkaListener schema reference
#   - ref: https://kafka.apache.org/documentation/#security_overview
#     description: Apache Kafka, security overview
# custom:
#   id: security.external-listener
#   input: spec
package kafkac.rules.security.external_listener

import data.kafkac.lib

# Strimzi listener types that Kubernetes exposes outside the cluster.
external_types := {"route", "loadbalancer", "nodeport", "ingress"}

violation contains result if {
	some cluster in input.clusters
	some i, listener in cluster.kafka.spec.kafka.listeners
	listener.type in external_types
	not listener.tls == true
	path := ["spec", "kafka", "listeners", i, "tls"]
	result := lib.violation("security.external-listener", cluster.kafka, path, sprintf(
		"%s: listener %s (type %s) is reachable from outside the cluster without TLS; set %s: true",
		[lib.named(cluster.kafka), listener.name, listener.type, lib.field(path)],
	))
}

violation contains result if {
	some cluster in input.clusters
	some i, listener in cluster.kafka.spec.kafka.listeners
	listener.type in external_types
	not listener.authentication
	path := ["spec", "kafka", "listeners", i]
	result := lib.violation("security.external-listener", cluster.kafka, path, sprintf(
		"%s: listener %s (type %s) is reachable from outside the cluster without authentication; set %s.authentication (scram-sha-512 or tls)",
		[lib.named(cluster.kafka), listener.name, listener.type, lib.field(path)],
	))
}
