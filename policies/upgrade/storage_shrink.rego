# METADATA
# title: No storage shrink
# description: >-
#   A persistent volume cannot be made smaller, and a broker whose volume is
#   removed loses the partitions it held. Shrinking or removing a volume
#   means moving the data off it first and replacing the claim, which a
#   chart upgrade cannot do.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims
#     description: Kubernetes, expanding persistent volume claims (only expansion is supported)
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#proc-resizing-persistent-volumes-str
#     description: Strimzi, resizing persistent volumes
# custom:
#   id: upgrade.storage-shrink
#   input: spec and base
package kafkac.rules.upgrade.storage_shrink

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some pool in cluster.nodePools
	old := lib.base_pool(base, pool.name)
	pool.facts.storageType == old.facts.storageType
	some before in old.facts.volumes
	some now in pool.facts.volumes
	now.id == before.id
	is_number(now.sizeBytes)
	is_number(before.sizeBytes)
	now.sizeBytes < before.sizeBytes
	path := array.concat(now.path, ["size"])
	result := lib.violation("upgrade.storage-shrink", pool.resource, path, sprintf(
		"%s: %s goes from %s to %s, but a persistent volume cannot shrink",
		[lib.named(pool.resource), lib.field(path), before.size, now.size],
	))
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some pool in cluster.nodePools
	old := lib.base_pool(base, pool.name)
	pool.facts.storageType == old.facts.storageType
	some before in old.facts.volumes
	not _has_volume(pool, before.id)
	path := ["spec", "storage", "volumes"]
	result := lib.violation("upgrade.storage-shrink", pool.resource, path, sprintf(
		"%s: JBOD volume %v is removed, and with it the partitions its brokers keep there; move them off it first",
		[lib.named(pool.resource), before.id],
	))
}

_has_volume(pool, id) if {
	some volume in pool.facts.volumes
	volume.id == id
}
