package kafkac.rules.manifests.image_pinned_test

import data.kafkac.fixtures
import data.kafkac.rules.manifests.image_pinned

with_image(image) := fixtures.rendered([fixtures.statefulset_changed([{"op": "replace", "path": "/object/spec/template/spec/containers/0/image", "value": image}])])

test_quiet_with_a_version_tag_or_a_digest if {
	every image in [
		"apache/kafka:4.3.1",
		"registry.example:5000/kafka/kafka:4.3.1",
		"apache/kafka@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	] {
		count(image_pinned.violation) == 0 with input as with_image(image)
	}
}

test_fires_without_a_tag_or_on_latest if {
	every image in ["apache/kafka", "apache/kafka:latest", "registry.example:5000/kafka"] {
		results := image_pinned.violation with input as with_image(image)
		fixtures.paths(results) == {["spec", "template", "spec", "containers", 0, "image"]}
	}
}

test_checks_init_containers_too if {
	changed := fixtures.statefulset_changed([{"op": "replace", "path": "/object/spec/template/spec/initContainers/0/image", "value": "busybox"}])
	count(image_pinned.violation) == 1 with input as fixtures.rendered([changed])
}
