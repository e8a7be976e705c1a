# METADATA
# title: A mirror translates its consumer groups' offsets
# description: >-
#   Mirroring for disaster recovery or migration is only half done when the
#   consumers cannot carry on from where they were: without a checkpoint
#   connector with sync.group.offsets.enabled, the groups have no committed
#   offsets on the target and restart from auto.offset.reset, reading again
#   or skipping records.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#georeplication-config-syncs
#     description: Apache Kafka, geo-replication, configuring replication (offset syncs)
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#con-mirrormaker-checkpoint-connector-str
#     description: Strimzi, MirrorMaker 2 checkpoint connector
# custom:
#   id: mirror.offset-sync
#   input: spec
package kafkac.rules.mirror.offset_sync

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	some mirror in connect.facts.mirror.mirrors
	mirror.sourceConnector
	not mirror.checkpointConnector
	result := lib.violation("mirror.offset-sync", connect.connect, mirror.path, sprintf(
		"%s: the mirror of %s copies records but no checkpoint connector translates its consumer groups' offsets; add checkpointConnector with sync.group.offsets.enabled: \"true\"",
		[lib.named(connect.connect), mirror.source],
	))
}

violation contains result if {
	some connect in input.connects
	some mirror in connect.facts.mirror.mirrors
	mirror.sourceConnector
	mirror.checkpointConnector
	not mirror.syncGroupOffsets
	path := array.concat(mirror.path, ["checkpointConnector", "config", "sync.group.offsets.enabled"])
	result := lib.violation("mirror.offset-sync", connect.connect, path, sprintf(
		"%s: the checkpoint connector of %s does not commit the translated offsets to the target's groups; set %s: \"true\"",
		[lib.named(connect.connect), mirror.source, lib.field(path)],
	))
}
