# METADATA
# title: A PodDisruptionBudget lets one Kafka node go at a time
# description: >-
#   Node drains and cluster upgrades evict pods; without a PodDisruptionBudget
#   they may evict several brokers or controllers at once and take partitions
#   or the KRaft quorum offline. Strimzi's default budget lets one pod be
#   unavailable at a time. Checked on the rendered chart: each StatefulSet and
#   Deployment is selected by a budget whose maxUnavailable is at most 1.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-PodDisruptionBudgetTemplate-reference
#     description: Strimzi, PodDisruptionBudgetTemplate schema reference
#   - ref: https://kubernetes.io/docs/concepts/workloads/pods/disruptions/
#     description: Kubernetes, disruptions
# custom:
#   id: operability.pdb
#   input: manifests
package kafkac.rules.operability.pdb

import data.kafkac.lib

workloads := {"StatefulSet", "Deployment"}

violation contains result if {
	some manifest in input.manifests
	manifest.object.kind in workloads
	labels := object.get(manifest.object, ["spec", "template", "metadata", "labels"], {})
	not covered(labels)
	path := ["spec", "template", "metadata", "labels"]
	result := lib.manifest_violation("operability.pdb", manifest, path, sprintf(
		"%s %s: no PodDisruptionBudget selects its pods, so a node drain may stop several of them at once",
		[manifest.object.kind, manifest.object.metadata.name],
	))
}

violation contains result if {
	some manifest in input.manifests
	manifest.object.kind == "PodDisruptionBudget"
	allowed := manifest.object.spec.maxUnavailable
	is_number(allowed)
	allowed > 1
	path := ["spec", "maxUnavailable"]
	result := lib.manifest_violation("operability.pdb", manifest, path, sprintf(
		"PodDisruptionBudget %s: %s is %d, so %d Kafka nodes may be disrupted at once; use 1",
		[manifest.object.metadata.name, lib.field(path), allowed, allowed],
	))
}

covered(labels) if {
	some budget in input.manifests
	budget.object.kind == "PodDisruptionBudget"
	selector := object.get(budget.object, ["spec", "selector", "matchLabels"], {})
	count(selector) > 0
	every key, value in selector {
		labels[key] == value
	}
}
