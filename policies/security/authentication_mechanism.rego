# METADATA
# title: Clients authenticate with SCRAM-SHA-512 or mutual TLS
# description: >-
#   SCRAM-SHA-512 (a salted challenge and response: no password crosses the
#   wire) and mutual TLS (client certificates) are the mechanisms that need
#   nothing outside the cluster. Strimzi's other types hand authentication to
#   code or services the chart does not contain: custom can enable SASL PLAIN,
#   which sends passwords as they are, and oauth depends on an external
#   authorization server.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaListenerAuthenticationScramSha512-reference
#     description: Strimzi, KafkaListenerAuthenticationScramSha512 schema reference
#   - ref: https://kafka.apache.org/documentation/#security_sasl_scram
#     description: Apache Kafka, authentication using SASL/SCRAM
# custom:
#   id: security.authentication-mechanism
#   input: spec
package kafkac.rules.security.authentication_mechanism

import data.kafkac.lib

allowed := {"scram-sha-512", "tls"}

violation contains result if {
	some cluster in input.clusters
	some i, listener in cluster.kafka.spec.kafka.listeners
	mechanism := listener.authentication.type
	not mechanism in allowed
	path := ["spec", "kafka", "listeners", i, "authentication", "type"]
	result := lib.violation("security.authentication-mechanism", cluster.kafka, path, sprintf(
		"%s: listener %s authenticates with %v; use scram-sha-512 or tls",
		[lib.named(cluster.kafka), listener.name, mechanism],
	))
}
