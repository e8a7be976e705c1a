# METADATA
# title: No broker removal without an acknowledgement that it is drained, where the chart does not drain
# description: >-
#   A broker that goes away takes its partition replicas with it: partitions
#   become under-replicated, and those that had no other replica go offline.
#   A KRaft cluster's chart drains the brokers a change removes itself (see
#   upgrade.broker-drain). A ZooKeeper-based cluster's chart moves nothing, so
#   a change that removes brokers (a smaller node pool, a removed pool, a pool
#   that loses the broker role) needs the annotation kafkac.io/drained-node-ids
#   on the Kafka, a JSON list of the node ids whose partitions were moved away
#   (with kafka-reassign-partitions). Strimzi refuses the same scale-down
#   unless the brokers are empty.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#proc-scaling-down-node-pools-str
#     description: Strimzi, removing nodes from a node pool
#   - ref: https://kafka.apache.org/documentation/#basic_ops_decommissioning_brokers
#     description: Apache Kafka, decommissioning brokers
# custom:
#   id: upgrade.broker-removal
#   input: spec and base
package kafkac.rules.upgrade.broker_removal

import data.kafkac.lib

annotation := "kafkac.io/drained-node-ids"

violation contains result if {
	some cluster in input.clusters
	not cluster.facts.drainsBrokers
	some removal in removals(cluster, left(cluster) - drained(cluster))
	result := lib.violation("upgrade.broker-removal", removal.target.resource, removal.target.path, sprintf(
		"%s: %s brokers %v; move their partitions away first (kafka-reassign-partitions), then list them in the Kafka's annotation %s",
		[lib.named(removal.target.resource), removal.target.change, removal.ids, annotation],
	))
}

# The broker node ids the base has and the change does not.
left(cluster) := {id | some id in lib.base_cluster(cluster).facts.brokerNodeIds} - {id | some id in cluster.facts.brokerNodeIds}

# Per pool of the base that loses some of `ids`: those ids and where the change is written.
removals(cluster, ids) := {{"ids": sort(lost), "target": _target(cluster, old.name)} |
	some old in lib.base_cluster(cluster).nodePools
	lib.has_role(old, "broker")
	lost := {id | some id in old.facts.nodeIds} & ids
	count(lost) > 0
}

# The node ids the Kafka's annotation says were drained; empty when absent or unreadable.
drained(cluster) := {id | some id in ids; is_number(id)} if {
	text := cluster.kafka.metadata.annotations[annotation]
	json.is_valid(text)
	ids := json.unmarshal(text)
	is_array(ids)
} else := set()

# Where the removal is written: the pool's replicas or roles, else the Kafka.
_target(cluster, name) := {"resource": pool.resource, "path": ["spec", "replicas"], "change": "spec.replicas removes"} if {
	some pool in cluster.nodePools
	pool.name == name
	lib.has_role(pool, "broker")
} else := {"resource": pool.resource, "path": ["spec", "roles"], "change": "spec.roles without broker removes"} if {
	some pool in cluster.nodePools
	pool.name == name
} else := {"resource": cluster.kafka, "path": ["metadata", "name"], "change": sprintf("removing node pool %s removes", [name])}
