package kafkac.mirror_fixtures

# A KafkaMirrorMaker2 as the policies see it: a remote source over TLS with a client
# certificate, a target over TLS with SCRAM whose min.insync.replicas is 2, a checkpoint
# connector that syncs group offsets, and its own topics on 3 replicas.
mirror := {
	"name": "dr",
	"namespace": null,
	"connect": {
		"apiVersion": "kafka.strimzi.io/v1",
		"kind": "KafkaMirrorMaker2",
		"metadata": {"name": "dr"},
		"spec": {
			"target": {"alias": "backup", "bootstrapServers": "backup-kafka-bootstrap:9093"},
			"mirrors": [{"source": {"alias": "primary", "bootstrapServers": "primary.example.com:9093"}}],
		},
	},
	"facts": {
		"tls": true,
		"authentication": "scram-sha-512",
		"remote": false,
		"kafkaCluster": "backup",
		"minInsyncReplicas": 2,
		"defaultReplicationFactor": 3,
		"replicationFactors": {},
		"workerPath": ["spec", "target"],
		"mirror": {
			"clusters": [
				{"alias": "backup", "target": true, "tls": true, "authentication": "scram-sha-512", "remote": false, "path": ["spec", "target"]},
				{"alias": "primary", "target": false, "tls": true, "authentication": "tls", "remote": true, "path": ["spec", "mirrors", 0, "source"]},
			],
			"mirrors": [{"source": "primary", "path": ["spec", "mirrors", 0], "sourceConnector": true, "checkpointConnector": true, "syncGroupOffsets": true}],
			"topicReplicationFactors": [
				{"path": ["spec", "mirrors", 0, "sourceConnector", "config", "offset-syncs.topic.replication.factor"], "factor": 3, "onTarget": false},
				{"path": ["spec", "mirrors", 0, "checkpointConnector", "config", "checkpoints.topic.replication.factor"], "factor": -1, "onTarget": true},
			],
		},
	},
}

spec(c) := {"profile": "prod", "clusters": [], "connects": [c], "base": null}

changed(patches) := json.patch(mirror, patches)

paths(results) := {result.path | some result in results}
