package kafkac.connect_fixtures

# A KafkaConnect as the policies see it: over TLS with SCRAM to a Kafka of the same input
# whose min.insync.replicas is 2, its internal topics on 3 replicas, a pinned plugin.
connect := {
	"name": "pipeline",
	"namespace": null,
	"connect": {
		"apiVersion": "kafka.strimzi.io/v1",
		"kind": "KafkaConnect",
		"metadata": {"name": "pipeline"},
		"spec": {
			"bootstrapServers": "prod-kafka-bootstrap:9093",
			"tls": {},
			"authentication": {"type": "scram-sha-512", "username": "u", "passwordSecret": {"secretName": "u", "password": "p"}},
			"build": {
				"output": {"type": "docker", "image": "r/i:1"},
				"plugins": [{"name": "p", "artifacts": [{"type": "jar", "url": "https://x/a.jar", "sha512sum": "ab"}]}],
			},
		},
	},
	"facts": {
		"tls": true,
		"authentication": "scram-sha-512",
		"remote": false,
		"kafkaCluster": "prod",
		"minInsyncReplicas": 2,
		"defaultReplicationFactor": 3,
		"replicationFactors": {
			"config.storage.replication.factor": 3,
			"offset.storage.replication.factor": 3,
			"status.storage.replication.factor": 3,
		},
	},
}

spec(c) := {"profile": "prod", "clusters": [], "connects": [c], "base": null}

changed(patches) := json.patch(connect, patches)

paths(results) := {result.path | some result in results}
