# METADATA
# title: Connect workers authenticate to Kafka
# description: >-
#   Connect workers write every connector's offsets and configuration, and
#   connectors read and write data topics, so the workers should log in with
#   credentials of their own (a TLS client certificate or SCRAM), which the
#   cluster's ACLs can then restrict to the group and topics they need.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaConnectSpec-reference
#     description: Strimzi, KafkaConnectSpec schema reference (authentication)
#   - ref: https://kafka.apache.org/documentation/#connect_security
#     description: Apache Kafka, Kafka Connect security
# custom:
#   id: connect.credentials
#   input: spec
package kafkac.rules.connect.credentials

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	connect.facts.authentication == null
	worker := object.get(connect.facts, "workerPath", ["spec"])
	result := lib.violation("connect.credentials", connect.connect, worker, sprintf(
		"%s: the workers connect to Kafka without credentials; set %s (tls or scram-sha-512)",
		[lib.named(connect.connect), lib.field(array.concat(worker, ["authentication"]))],
	))
}
