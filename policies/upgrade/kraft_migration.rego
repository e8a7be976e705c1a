# METADATA
# title: The migration from ZooKeeper goes one step at a time, and back only from migration
# description: >-
#   Strimzi's annotation strimzi.io/kraft moves a Kafka 3.x cluster from
#   ZooKeeper to KRaft controllers in Kafka's order: disabled (the controller
#   pool declared, not deployed), migration (the controllers copy the metadata
#   from ZooKeeper, the brokers register with them), enabled (the brokers, then
#   the controllers, leave ZooKeeper), then spec.zookeeper removed. Each step
#   needs the one before it to have finished: skipping one (disabled to
#   enabled) starts KRaft brokers without their metadata. Kafka goes back to
#   ZooKeeper only while the brokers still write to it: from migration, through
#   rollback, to disabled; not from enabled or later.
# related_resources:
#   - ref: https://kafka.apache.org/39/documentation.html#kraft_zk_migration
#     description: Apache Kafka 3.9, ZooKeeper to KRaft migration
#   - ref: https://strimzi.io/docs/operators/0.45.0/deploying.html#proc-deploy-migrate-kraft-str
#     description: Strimzi 0.45, migrating to KRaft mode
# custom:
#   id: upgrade.kraft-migration
#   input: spec and base
package kafkac.rules.upgrade.kraft_migration

import data.kafkac.lib

annotation := "strimzi.io/kraft"

# The steps each step may go to (itself aside).
next_steps := {
	"disabled": ["migration"],
	"migration": ["enabled", "rollback"],
	"rollback": ["disabled"],
	"enabled": ["kraft"],
	"kraft": [],
}

# How a step is written in the Kafka.
written := {
	"disabled": "strimzi.io/kraft: disabled",
	"migration": "strimzi.io/kraft: migration",
	"rollback": "strimzi.io/kraft: rollback",
	"enabled": "strimzi.io/kraft: enabled, spec.zookeeper kept",
	"kraft": "strimzi.io/kraft: enabled without spec.zookeeper",
}

violation contains result if {
	some cluster in input.clusters
	base := lib.base_cluster(cluster)
	before := state(base)
	now := state(cluster)
	before != now
	not now in next_steps[before]
	result := lib.violation("upgrade.kraft-migration", cluster.kafka, _annotation_path(cluster), sprintf(
		"%s: %s goes from %s to %s, %s; %s",
		[lib.named(cluster.kafka), annotation, written[before], written[now], why(before, now), next(before)],
	))
}

state(cluster) := object.get(cluster.facts, "kraftMigration", "kraft")

why(before, _) := "and a KRaft cluster does not go back to ZooKeeper" if before in {"enabled", "kraft"}

why(before, now) := "and Kafka goes back to ZooKeeper only from migration, through rollback" if {
	not before in {"enabled", "kraft"}
	now == "rollback"
}

why(before, now) := "which skips a step of the migration: each one needs the one before it to have finished" if {
	not before in {"enabled", "kraft"}
	now != "rollback"
}

next(before) := "keep it, or remove spec.zookeeper, the last step" if before == "enabled"

next(before) := "keep it: the cluster is in KRaft mode" if before == "kraft"

next(before) := sprintf("the next allowed step is %s", [concat(" or ", [written[s] | some s in next_steps[before]])]) if {
	not before in {"enabled", "kraft"}
}

_annotation_path(cluster) := ["metadata", "annotations", annotation] if {
	cluster.kafka.metadata.annotations[annotation]
} else := ["metadata", "name"]
