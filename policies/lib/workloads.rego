# METADATA
# title: Pod templates of rendered workloads
# description: >-
#   Where each kind of rendered manifest keeps its pod spec, and its
#   containers with their field paths, for the rules on rendered charts.
package kafkac.lib.workloads

# Kinds whose pods run for good, which need probes.
long_running := {"StatefulSet", "Deployment", "DaemonSet", "ReplicaSet"}

_template_kinds := long_running | {"Job"}

# The pod spec of a manifest and its path: {"spec": ..., "path": [...]}.
pod_spec(manifest) := {"spec": manifest.object.spec.template.spec, "path": ["spec", "template", "spec"]} if {
	manifest.object.kind in _template_kinds
}

pod_spec(manifest) := {
	"spec": manifest.object.spec.jobTemplate.spec.template.spec,
	"path": ["spec", "jobTemplate", "spec", "template", "spec"],
} if {
	manifest.object.kind == "CronJob"
}

pod_spec(manifest) := {"spec": manifest.object.spec, "path": ["spec"]} if manifest.object.kind == "Pod"

# Every container of a pod spec (init, regular, ephemeral) with its path.
containers(pod) := [entry |
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some i, container in object.get(pod.spec, field, [])
	entry := {"container": container, "path": array.concat(pod.path, [field, i])}
]

# The regular containers only.
main_containers(pod) := [entry |
	some i, container in object.get(pod.spec, "containers", [])
	entry := {"container": container, "path": array.concat(pod.path, ["containers", i])}
]
