# METADATA
# title: Persistent storage
# description: >-
#   Ephemeral storage is an emptyDir: it is lost whenever a pod is deleted,
#   rescheduled or evicted, and a KRaft node that loses its metadata log
#   cannot rejoin with its old identity. Production node pools use
#   persistent-claim volumes.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-PersistentClaimStorage-reference
#     description: Strimzi, PersistentClaimStorage schema reference
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-EphemeralStorage-reference
#     description: Strimzi, EphemeralStorage schema reference
# custom:
#   id: operability.persistent-storage
#   input: spec
package kafkac.rules.operability.persistent_storage

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	some pool in cluster.nodePools
	some volume in pool.facts.volumes
	volume.type != "persistent-claim"
	path := array.concat(volume.path, ["type"])
	result := lib.violation("operability.persistent-storage", pool.resource, path, sprintf(
		"%s: %s is %s, so its data is lost whenever a pod is rescheduled; use persistent-claim",
		[lib.named(pool.resource), lib.field(path), volume.type],
	))
}
