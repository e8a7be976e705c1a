# METADATA
# title: Long-running containers have readiness and liveness probes
# description: >-
#   Without a readiness probe a pod receives traffic, and a rolling update
#   moves on to the next broker, before the process serves; without a
#   liveness probe a hung process is never restarted. Checked on the
#   containers of rendered StatefulSets, Deployments, DaemonSets and
#   ReplicaSets (init containers and Jobs have no probes).
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
#     description: Kubernetes, liveness, readiness and startup probes
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-Probe-reference
#     description: Strimzi, Probe schema reference
# custom:
#   id: manifests.probes
#   input: manifests
package kafkac.rules.manifests.probes

import data.kafkac.lib
import data.kafkac.lib.workloads

violation contains result if {
	some manifest in input.manifests
	manifest.object.kind in workloads.long_running
	pod := workloads.pod_spec(manifest)
	some entry in workloads.main_containers(pod)
	some probe in ["readinessProbe", "livenessProbe"]
	not entry.container[probe]
	path := array.concat(entry.path, [probe])
	result := lib.manifest_violation("manifests.probes", manifest, path, sprintf(
		"%s %s: container %s has no %s",
		[manifest.object.kind, manifest.object.metadata.name, entry.container.name, probe],
	))
}
