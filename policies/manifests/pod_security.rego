# METADATA
# title: Pods meet the Pod Security Standards "restricted" profile
# description: >-
#   The restricted profile is what a namespace labelled
#   pod-security.kubernetes.io/enforce=restricted admits: no host namespaces,
#   ports or paths, no privileged or privilege-escalating containers, non-root
#   users, the RuntimeDefault or a Localhost seccomp profile, every capability
#   dropped (NET_BIND_SERVICE may be added back), and only ordinary volume
#   types. A template.pod or template.*Container securityContext in the spec
#   can undo kafkac's restricted defaults; this checks what the chart renders.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/pod-security-standards/
#     description: Kubernetes, Pod Security Standards
# custom:
#   id: manifests.pod-security
#   input: manifests
package kafkac.rules.manifests.pod_security

import data.kafkac.lib
import data.kafkac.lib.workloads

id := "manifests.pod-security"

allowed_volume_sources := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
	"persistentVolumeClaim", "projected", "secret",
}

# Sysctls the baseline profile allows (the "safe" set).
safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
}

allowed_selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

# --- the pod ---------------------------------------------------------------------------

violation contains result if {
	some manifest in input.manifests
	pod := workloads.pod_spec(manifest)
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pod.spec[field] == true
	result := _at(manifest, array.concat(pod.path, [field]), sprintf("%s is true; pods may not share the host's namespaces", [field]))
}

violation contains result if {
	some manifest in input.manifests
	pod := workloads.pod_spec(manifest)
	some i, volume in object.get(pod.spec, "volumes", [])
	sources := {key | some key, _ in volume; key != "name"} - allowed_volume_sources
	count(sources) > 0
	path := array.concat(pod.path, ["volumes", i])
	result := _at(manifest, path, sprintf("volume %s is of type %s; allowed: %s", [volume.name, concat(", ", sort(sources)), concat(", ", sort(allowed_volume_sources))]))
}

violation contains result if {
	some manifest in input.manifests
	pod := workloads.pod_spec(manifest)
	some i, sysctl in object.get(pod.spec, ["securityContext", "sysctls"], [])
	not sysctl.name in safe_sysctls
	path := array.concat(pod.path, ["securityContext", "sysctls", i])
	result := _at(manifest, path, sprintf("sysctl %s is not one of the safe sysctls", [sysctl.name]))
}

# --- each container, with the pod's securityContext as its default --------------------

# Every container of every rendered pod, with where it is.
_containers contains entry if {
	some manifest in input.manifests
	pod := workloads.pod_spec(manifest)
	some found in workloads.containers(pod)
	entry := {"manifest": manifest, "pod": pod.spec, "container": found.container, "path": found.path}
}

violation contains result if {
	some entry in _containers
	entry.container.securityContext.privileged == true
	result := _problem(entry, ["securityContext", "privileged"], "privileged is true")
}

violation contains result if {
	some entry in _containers
	not entry.container.securityContext.allowPrivilegeEscalation == false
	result := _problem(entry, ["securityContext", "allowPrivilegeEscalation"], "allowPrivilegeEscalation must be false")
}

violation contains result if {
	some entry in _containers
	not _runs_as_non_root(entry.pod, entry.container)
	result := _problem(entry, ["securityContext", "runAsNonRoot"], "runAsNonRoot must be true (here or in the pod's securityContext)")
}

violation contains result if {
	some entry in _containers
	_setting(entry.pod, entry.container, "runAsUser") == 0
	result := _problem(entry, ["securityContext", "runAsUser"], "runAsUser is 0 (root)")
}

violation contains result if {
	some entry in _containers
	not object.get(_setting(entry.pod, entry.container, "seccompProfile"), "type", "") in {"RuntimeDefault", "Localhost"}
	result := _problem(entry, ["securityContext", "seccompProfile"], "seccompProfile.type must be RuntimeDefault or Localhost (here or in the pod's securityContext)")
}

violation contains result if {
	some entry in _containers
	not "ALL" in object.get(entry.container, ["securityContext", "capabilities", "drop"], [])
	result := _problem(entry, ["securityContext", "capabilities", "drop"], "capabilities.drop must contain ALL")
}

violation contains result if {
	some entry in _containers
	some i, capability in object.get(entry.container, ["securityContext", "capabilities", "add"], [])
	capability != "NET_BIND_SERVICE"
	result := _problem(entry, ["securityContext", "capabilities", "add", i], sprintf("capability %s may not be added (only NET_BIND_SERVICE)", [capability]))
}

violation contains result if {
	some entry in _containers
	some i, port in object.get(entry.container, "ports", [])
	object.get(port, "hostPort", 0) != 0
	result := _problem(entry, ["ports", i, "hostPort"], sprintf("port %v sets hostPort", [port.containerPort]))
}

violation contains result if {
	some entry in _containers
	object.get(entry.container, ["securityContext", "procMount"], "Default") != "Default"
	result := _problem(entry, ["securityContext", "procMount"], "procMount must be Default")
}

violation contains result if {
	some entry in _containers
	options := _setting(entry.pod, entry.container, "seLinuxOptions")
	not object.get(options, "type", "") in allowed_selinux_types
	result := _problem(entry, ["securityContext", "seLinuxOptions", "type"], sprintf("seLinuxOptions.type %s is not a container type the profile allows", [options.type]))
}

violation contains result if {
	some entry in _containers
	_setting(entry.pod, entry.container, "windowsOptions").hostProcess == true
	result := _problem(entry, ["securityContext", "windowsOptions", "hostProcess"], "windowsOptions.hostProcess is true")
}

violation contains result if {
	some entry in _containers
	_setting(entry.pod, entry.container, "appArmorProfile").type == "Unconfined"
	result := _problem(entry, ["securityContext", "appArmorProfile", "type"], "appArmorProfile.type is Unconfined")
}

_runs_as_non_root(_, container) if container.securityContext.runAsNonRoot == true

_runs_as_non_root(pod, container) if {
	pod.securityContext.runAsNonRoot == true
	not container.securityContext.runAsNonRoot == false
}

# A securityContext field of the container, else of the pod, else {}.
_setting(pod, container, field) := value if {
	value := container.securityContext[field]
} else := value if {
	value := pod.securityContext[field]
} else := {}

_problem(entry, path, what) := _at(entry.manifest, array.concat(entry.path, path), sprintf("container %s: %s", [entry.container.name, what]))

_at(manifest, path, what) := lib.manifest_violation(id, manifest, path, sprintf("%s %s: %s", [manifest.object.kind, manifest.object.metadata.name, what]))
