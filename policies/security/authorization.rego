# METADATA
# title: Authorization is on
# description: >-
#   Without an authorizer every client that can connect may read, write,
#   alter and delete every topic and consumer group. Strimzi turns Kafka's
#   ACL authorizer on with spec.kafka.authorization (type simple).
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#security_authz
#     description: Apache Kafka, authorization and ACLs
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaAuthorizationSimple-reference
#     description: Strimzi, KafkaAuthorizationSimple schema reference
# custom:
#   id: security.authorization
#   input: spec
package kafkac.rules.security.authorization

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	not cluster.kafka.spec.kafka.authorization
	path := ["spec", "kafka", "authorization"]
	result := lib.violation("security.authorization", cluster.kafka, path, sprintf(
		"%s: %s is not set, so every client that can connect may read, write and delete every topic",
		[lib.named(cluster.kafka), lib.field(path)],
	))
}
