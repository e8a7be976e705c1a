# METADATA
# title: MirrorMaker 2 reaches a remote source over TLS, with credentials
# description: >-
#   A source cluster whose bootstrap address is not a Service of the
#   Kubernetes cluster (a host name with dots that is not
#   <service>.<namespace>.svc) is reached across networks: without TLS the
#   mirrored records and the login travel readable, and without credentials
#   the source cannot restrict MirrorMaker 2 to the topics and groups it
#   mirrors. The target is the workers' own cluster, checked by the connect
#   rules.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaMirrorMaker2ClusterSpec-reference
#     description: Strimzi, KafkaMirrorMaker2ClusterSpec schema reference
#   - ref: https://kafka.apache.org/documentation/#georeplication
#     description: Apache Kafka, geo-replication (MirrorMaker 2)
# custom:
#   id: mirror.remote-connection
#   input: spec
package kafkac.rules.mirror.remote_connection

import data.kafkac.lib

violation contains result if {
	some cluster in _remote_sources
	not cluster.tls
	path := array.concat(cluster.path, ["bootstrapServers"])
	result := lib.violation("mirror.remote-connection", _mirror(cluster).connect, path, sprintf(
		"%s: source cluster %s (%s) is outside the Kubernetes cluster and is reached without TLS; set %s",
		[
			lib.named(_mirror(cluster).connect), cluster.alias, object.get(_mirror(cluster).connect, path, "?"),
			lib.field(array.concat(cluster.path, ["tls"])),
		],
	))
}

violation contains result if {
	some cluster in _remote_sources
	cluster.authentication == null
	result := lib.violation("mirror.remote-connection", _mirror(cluster).connect, cluster.path, sprintf(
		"%s: source cluster %s is outside the Kubernetes cluster and is reached without credentials; set %s (tls or scram-sha-512)",
		[lib.named(_mirror(cluster).connect), cluster.alias, lib.field(array.concat(cluster.path, ["authentication"]))],
	))
}

_remote_sources contains object.union(cluster, {"connect_index": i}) if {
	some i, connect in input.connects
	some cluster in connect.facts.mirror.clusters
	not cluster.target
	cluster.remote
}

_mirror(cluster) := input.connects[cluster.connect_index]
