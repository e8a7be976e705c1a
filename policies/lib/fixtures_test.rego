# Inputs for the rules' tests: a cluster and a rendered chart that pass every
# rule, which each test breaks in one place (json.patch) to see its rule fire.
package kafkac.fixtures

kafka := {
	"apiVersion": "kafka.strimzi.io/v1",
	"kind": "Kafka",
	"metadata": {"name": "prod", "namespace": "kafka"},
	"spec": {"kafka": {
		"version": "4.3.1",
		"listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": false}],
		"authorization": {"type": "simple"},
		"rack": {"topologyKey": "topology.kubernetes.io/zone"},
		"config": {
			"default.replication.factor": 3,
			"min.insync.replicas": 2,
			"offsets.topic.replication.factor": 3,
			"transaction.state.log.replication.factor": 3,
			"transaction.state.log.min.isr": 2,
		},
	}},
}

spread_pod := {
	"topologySpreadConstraints": [{
		"maxSkew": 1,
		"topologyKey": "topology.kubernetes.io/zone",
		"whenUnsatisfiable": "DoNotSchedule",
	}],
	"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]}},
}

pool(name, roles, first_id) := {
	"name": name,
	"resource": {
		"apiVersion": "kafka.strimzi.io/v1",
		"kind": "KafkaNodePool",
		"metadata": {"name": name, "namespace": "kafka", "labels": {"strimzi.io/cluster": "prod"}},
		"spec": {
			"replicas": 3,
			"roles": roles,
			"storage": {"type": "persistent-claim", "size": "100Gi"},
			"resources": {"requests": {"cpu": "1", "memory": "8Gi"}, "limits": {"memory": "8Gi"}},
		},
	},
	"facts": {
		"roles": roles,
		"replicas": 3,
		"nodeIds": numbers.range(first_id, first_id + 2),
		"storageType": "persistent-claim",
		"volumes": [{
			"id": null, "type": "persistent-claim", "size": "100Gi", "sizeBytes": 107374182400,
			"class": null, "path": ["spec", "storage"],
		}],
		"memory": "8Gi",
		"memoryBytes": 8589934592,
		"heap": null,
		"pod": spread_pod,
	},
}

topic := {
	"name": "orders", "resource": {
		"apiVersion": "kafka.strimzi.io/v1",
		"kind": "KafkaTopic",
		"metadata": {"name": "orders", "namespace": "kafka", "labels": {"strimzi.io/cluster": "prod"}},
		"spec": {"partitions": 12, "replicas": 3, "config": {"min.insync.replicas": 2}},
	},
	"facts": {"partitions": 12, "replicas": 3},
}

cluster := {
	"name": "prod",
	"namespace": "kafka",
	"kafka": kafka,
	"nodePools": [pool("controllers", ["controller"], 0), pool("brokers", ["broker"], 100)],
	"topics": [topic],
	"facts": {
		"kafkaVersion": "4.3.1",
		"kafkaRelease": [4, 3],
		"metadataVersion": null,
		"metadataRelease": [4, 3],
		"metadataLevel": null,
		"brokers": 3,
		"controllers": 3,
		"brokerNodeIds": [100, 101, 102],
		"controllerNodeIds": [0, 1, 2],
		"controllerQuorum": "static",
	},
}

# The input kafkac gives the rules for one cluster, without and with a base version.
spec(head) := {"profile": "prod", "clusters": [head], "base": null}

upgrade(head, base) := {"profile": "prod", "clusters": [head], "base": {"clusters": [base]}}

# The cluster with `patches` (JSON Patch operations) applied.
changed(patches) := json.patch(cluster, patches)

# --- a rendered chart ------------------------------------------------------------------

container(name) := {
	"name": name,
	"image": "apache/kafka:4.3.1",
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"capabilities": {"drop": ["ALL"]},
		"readOnlyRootFilesystem": true,
	},
	"readinessProbe": {"exec": {"command": ["kafka-ready.sh"]}},
	"livenessProbe": {"tcpSocket": {"port": 9092}},
}

statefulset := {"file": "templates/broker/statefulset.yaml", "object": {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": {"name": "prod-brokers"},
	"spec": {"template": {
		"metadata": {"labels": {"strimzi.io/cluster": "prod", "strimzi.io/pool-name": "brokers"}},
		"spec": {
			"securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
			"initContainers": [object.remove(container("init"), ["readinessProbe", "livenessProbe"])],
			"containers": [container("kafka")],
			"volumes": [
				{"name": "tmp", "emptyDir": {}},
				{"name": "config", "configMap": {"name": "prod-config"}},
			],
		},
	}},
}}

pdb := {"file": "templates/broker/poddisruptionbudget.yaml", "object": {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "prod-kafka"},
	"spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"strimzi.io/cluster": "prod"}}},
}}

rendered(manifests) := {"profile": "prod", "manifests": manifests}

# The StatefulSet with `patches` applied.
statefulset_changed(patches) := json.patch(statefulset, patches)

ids(results) := {result.id | some result in results}

paths(results) := {result.path | some result in results}
