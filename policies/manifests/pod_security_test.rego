package kafkac.rules.manifests.pod_security_test

import data.kafkac.fixtures
import data.kafkac.rules.manifests.pod_security

kafka := ["spec", "template", "spec", "containers", 0]

fires(patches, path) if {
	results := pod_security.violation with input as fixtures.rendered([fixtures.statefulset_changed(patches)])
	fixtures.paths(results) == {path}
}

test_quiet_on_a_restricted_pod if {
	count(pod_security.violation) == 0 with input as fixtures.rendered([fixtures.statefulset, fixtures.pdb])
}

test_fires_on_host_namespaces if {
	fires([{"op": "add", "path": "/object/spec/template/spec/hostNetwork", "value": true}], ["spec", "template", "spec", "hostNetwork"])
}

test_fires_on_a_host_path_volume if {
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/volumes/-", "value": {"name": "host", "hostPath": {"path": "/"}}}],
		["spec", "template", "spec", "volumes", 2],
	)
}

test_fires_on_an_unsafe_sysctl if {
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/securityContext/sysctls", "value": [{"name": "kernel.msgmax", "value": "1"}]}],
		["spec", "template", "spec", "securityContext", "sysctls", 0],
	)
}

test_fires_on_privilege_escalation if {
	fires(
		[{"op": "remove", "path": "/object/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"}],
		array.concat(kafka, ["securityContext", "allowPrivilegeEscalation"]),
	)
}

test_fires_on_a_privileged_container if {
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/initContainers/0/securityContext/privileged", "value": true}],
		["spec", "template", "spec", "initContainers", 0, "securityContext", "privileged"],
	)
}

test_fires_on_root_for_every_container_of_the_pod if {
	root := fixtures.statefulset_changed([{"op": "replace", "path": "/object/spec/template/spec/securityContext/runAsUser", "value": 0}])
	results := pod_security.violation with input as fixtures.rendered([root])
	fixtures.paths(results) == {
		array.concat(kafka, ["securityContext", "runAsUser"]),
		["spec", "template", "spec", "initContainers", 0, "securityContext", "runAsUser"],
	}
}

test_fires_when_non_root_is_not_required if {
	changed := fixtures.statefulset_changed([{"op": "remove", "path": "/object/spec/template/spec/securityContext/runAsNonRoot"}])
	results := pod_security.violation with input as fixtures.rendered([changed])
	count(results) == 2
	every result in results {
		result.path[count(result.path) - 1] == "runAsNonRoot"
	}
}

test_fires_without_a_seccomp_profile if {
	fires(
		[
			{"op": "remove", "path": "/object/spec/template/spec/securityContext/seccompProfile"},
			{"op": "remove", "path": "/object/spec/template/spec/initContainers"},
		],
		array.concat(kafka, ["securityContext", "seccompProfile"]),
	)
}

test_fires_on_capabilities if {
	fires(
		[{"op": "replace", "path": "/object/spec/template/spec/containers/0/securityContext/capabilities", "value": {"drop": ["NET_RAW"]}}],
		array.concat(kafka, ["securityContext", "capabilities", "drop"]),
	)
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/securityContext/capabilities/add", "value": ["NET_BIND_SERVICE", "SYS_ADMIN"]}],
		array.concat(kafka, ["securityContext", "capabilities", "add", 1]),
	)
}

test_fires_on_host_ports_proc_mount_selinux_apparmor_and_host_process if {
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/ports", "value": [{"containerPort": 9092, "hostPort": 9092}]}],
		array.concat(kafka, ["ports", 0, "hostPort"]),
	)
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/securityContext/procMount", "value": "Unmasked"}],
		array.concat(kafka, ["securityContext", "procMount"]),
	)
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/securityContext/seLinuxOptions", "value": {"type": "spc_t"}}],
		array.concat(kafka, ["securityContext", "seLinuxOptions", "type"]),
	)
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/securityContext/appArmorProfile", "value": {"type": "Unconfined"}}],
		array.concat(kafka, ["securityContext", "appArmorProfile", "type"]),
	)
	fires(
		[{"op": "add", "path": "/object/spec/template/spec/containers/0/securityContext/windowsOptions", "value": {"hostProcess": true}}],
		array.concat(kafka, ["securityContext", "windowsOptions", "hostProcess"]),
	)
}
