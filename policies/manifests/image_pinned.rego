# METADATA
# title: Container images are pinned
# description: >-
#   An image without a tag, or tagged latest, is whatever the registry holds
#   when a pod starts: two brokers of one cluster may run different Kafka
#   builds, and a restart can upgrade a broker nobody upgraded. Use a version
#   tag or a digest (@sha256:...).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/containers/images/#image-names
#     description: Kubernetes, image names, tags and digests
#   - ref: https://kubernetes.io/docs/concepts/configuration/overview/#container-images
#     description: Kubernetes, configuration best practices, container images
# custom:
#   id: manifests.image-pinned
#   input: manifests
package kafkac.rules.manifests.image_pinned

import data.kafkac.lib
import data.kafkac.lib.workloads

violation contains result if {
	some manifest in input.manifests
	pod := workloads.pod_spec(manifest)
	some entry in workloads.containers(pod)
	image := entry.container.image
	not pinned(image)
	path := array.concat(entry.path, ["image"])
	result := lib.manifest_violation("manifests.image-pinned", manifest, path, sprintf(
		"%s %s: container %s runs %s, which names no version; use a version tag or a digest",
		[manifest.object.kind, manifest.object.metadata.name, entry.container.name, image],
	))
}

pinned(image) if contains(image, "@sha256:")

pinned(image) if {
	tag := _tag(image)
	tag != ""
	tag != "latest"
}

# The tag: what follows the last ":" of the last path segment (a ":" before it is a port).
_tag(image) := tag if {
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	parts := split(last, ":")
	tag := parts[count(parts) - 1]
}
