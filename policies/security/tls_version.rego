# METADATA
# title: TLS 1.2 or newer
# description: >-
#   TLS 1.0 and 1.1 are deprecated (RFC 8996). Kafka enables only TLSv1.2 and
#   TLSv1.3 by default since KIP-573; a spec that lists an older protocol in
#   ssl.enabled.protocols or ssl.protocol turns it back on.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_ssl.enabled.protocols
#     description: Apache Kafka, broker configs, ssl.enabled.protocols
#   - ref: https://www.rfc-editor.org/rfc/rfc8996
#     description: RFC 8996, Deprecating TLS 1.0 and TLS 1.1
# custom:
#   id: security.tls-version
#   input: spec
package kafkac.rules.security.tls_version

import data.kafkac.lib

allowed := {"TLSv1.2", "TLSv1.3"}

options := {"ssl.enabled.protocols", "ssl.protocol"}

violation contains result if {
	some cluster in input.clusters
	some option in options
	value := lib.config(cluster)[option]
	old := lib.list_items(value) - allowed
	count(old) > 0
	path := lib.config_path(option)
	result := lib.violation("security.tls-version", cluster.kafka, path, sprintf(
		"%s: %s allows %s; allow only TLSv1.2 and TLSv1.3",
		[lib.named(cluster.kafka), lib.field(path), concat(", ", sort(old))],
	))
}
