# METADATA
# title: Plugin artifacts are pinned by their checksum
# description: >-
#   The build downloads every artifact of spec.build.plugins when the image is
#   built; without sha512sum a changed or tampered download goes into the
#   image unnoticed, and two builds of the same spec can differ. With it, the
#   build's fetch step refuses an artifact that does not match.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-Build-reference
#     description: Strimzi, Build schema reference
#   - ref: https://strimzi.io/docs/operators/latest/deploying.html#creating-new-image-using-kafka-connect-build-str
#     description: Strimzi, building a new container image with connector plugins
# custom:
#   id: connect.plugin-checksum
#   input: spec
package kafkac.rules.connect.plugin_checksum

import data.kafkac.lib

violation contains result if {
	some connect in input.connects
	some i, plugin in connect.connect.spec.build.plugins
	some j, artifact in plugin.artifacts
	not artifact.sha512sum
	path := ["spec", "build", "plugins", i, "artifacts", j]
	result := lib.violation("connect.plugin-checksum", connect.connect, path, sprintf(
		"%s: artifact %d of plugin %s has no sha512sum, so the build takes whatever the download gives; pin it",
		[lib.named(connect.connect), j, plugin.name],
	))
}
