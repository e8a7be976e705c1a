# METADATA
# title: No change of a node pool's node ids (spec and base)
# description: >-
#   A node's id names its pod and its PersistentVolumeClaims
#   (data-<volume>-<cluster>-<pool>-<id>) and is its identity in Kafka. When a
#   pool that exists in the base gets other ids for the nodes it keeps, the
#   chart starts new, empty nodes and leaves the old ones' data and
#   partitions behind. Ids change when pools are renamed or added in name
#   order before them (Strimzi gives ids to pools in the order of their names)
#   or when strimzi.io/next-node-ids changes; pin the old ids with
#   strimzi.io/next-node-ids.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#con-config-node-pools-str
#     description: Strimzi, node pools and node id assignment
#   - ref: https://kafka.apache.org/documentation/#brokerconfigs_node.id
#     description: Apache Kafka, broker configs, node.id
# custom:
#   id: upgrade.node-ids
#   input: spec and base
package kafkac.rules.upgrade.node_ids

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	some pool in cluster.nodePools
	old := lib.base_pool(base, pool.name)
	kept := min([count(pool.facts.nodeIds), count(old.facts.nodeIds)])
	was := array.slice(sort(old.facts.nodeIds), 0, kept)
	now := array.slice(sort(pool.facts.nodeIds), 0, kept)
	was != now
	path := ["metadata", "annotations", "strimzi.io/next-node-ids"]
	result := lib.violation("upgrade.node-ids", pool.resource, path, sprintf(
		"%s: the node ids of its nodes change from %v to %v, so their pods and PersistentVolumeClaims would be new and empty, and the data of %v left behind; keep the ids with strimzi.io/next-node-ids: \"%s\"",
		[lib.named(pool.resource), was, now, was, _range(was)],
	))
}

_range(ids) := sprintf("[%d-%d]", [ids[0], ids[count(ids) - 1]]) if count(ids) > 1

else := sprintf("[%d]", [ids[0]])
