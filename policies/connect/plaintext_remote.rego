# METADATA
# title: No plaintext to a Kafka outside the Kubernetes cluster
# description: >-
#   A bootstrap address that is not a Service of the Kubernetes cluster (a
#   host name with dots that is not <service>.<namespace>.svc) leaves the
#   cluster's network: without TLS the records and the credentials of the
#   workers travel readable.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-ClientTls-reference
#     description: Strimzi, ClientTls schema reference
#   - ref: https://kafka.apache.org/documentation/#security_overview
#     description: Apache Kafka, security overview
# custom:
#   id: connect.plaintext-remote
#   input: spec
package kafkac.rules.connect.plaintext_remote

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	connect.facts.remote
	not connect.facts.tls
	worker := object.get(connect.facts, "workerPath", ["spec"])
	path := array.concat(worker, ["bootstrapServers"])
	result := lib.violation("connect.plaintext-remote", connect.connect, path, sprintf(
		"%s: %s is outside the Kubernetes cluster and the workers connect without TLS; set %s",
		[lib.named(connect.connect), object.get(connect.connect, path, "?"), lib.field(array.concat(worker, ["tls"]))],
	))
}
