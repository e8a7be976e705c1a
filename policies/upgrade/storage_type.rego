# METADATA
# title: No storage type or class change
# description: >-
#   A StatefulSet's volume claims cannot change after it is created, and the
#   storage type decides where the data is: switching between ephemeral,
#   persistent-claim and jbod, or changing a volume's type or storage class,
#   starts the nodes on new, empty volumes. Strimzi does not support these
#   changes on existing node pools either; add a new node pool and move the
#   partitions to it instead.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#con-config-storage-str
#     description: Strimzi, configuring Kafka storage
#   - ref: https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#volume-claim-templates
#     description: Kubernetes, StatefulSet volume claim templates
# custom:
#   id: upgrade.storage-type
#   input: spec and base
package kafkac.rules.upgrade.storage_type

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some pool in cluster.nodePools
	old := lib.base_pool(base, pool.name)
	pool.facts.storageType != old.facts.storageType
	path := ["spec", "storage", "type"]
	result := lib.violation("upgrade.storage-type", pool.resource, path, sprintf(
		"%s: %s goes from %s to %s, which starts its nodes on new, empty volumes",
		[lib.named(pool.resource), lib.field(path), old.facts.storageType, pool.facts.storageType],
	))
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some pool in cluster.nodePools
	old := lib.base_pool(base, pool.name)
	pool.facts.storageType == old.facts.storageType
	some before in old.facts.volumes
	some now in pool.facts.volumes
	now.id == before.id
	some field in ["type", "class"]
	before[field] != now[field]
	path := array.concat(now.path, [field])
	result := lib.violation("upgrade.storage-type", pool.resource, path, sprintf(
		"%s: %s goes from %v to %v, which a volume that exists cannot follow",
		[lib.named(pool.resource), lib.field(path), _shown(before[field]), _shown(now[field])],
	))
}

_shown(value) := "unset (the default class)" if value == null

_shown(value) := value if value != null
