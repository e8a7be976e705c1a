package kafkac.rules.operability.resources_test

import data.kafkac.fixtures
import data.kafkac.rules.operability.resources

test_quiet_with_requests_and_a_memory_limit if {
	count(resources.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_fires_for_each_missing_setting if {
	cluster := fixtures.changed([{"op": "replace", "path": "/nodePools/1/resource/spec/resources", "value": {"requests": {"memory": "8Gi"}}}])
	results := resources.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "resources", "requests", "cpu"], ["spec", "resources", "limits", "memory"]}
	{r.name | some r in results} == {"brokers"}
}

test_fires_without_resources_at_all if {
	cluster := fixtures.changed([{"op": "remove", "path": "/nodePools/0/resource/spec/resources"}])
	count(resources.violation) == 3 with input as fixtures.spec(cluster)
}

test_quiet_when_the_kafka_sets_them_for_pools_without_their_own if {
	cluster := fixtures.changed([
		{"op": "remove", "path": "/nodePools/0/resource/spec/resources"},
		{"op": "add", "path": "/kafka/spec/kafka/resources", "value": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}},
	])
	count(resources.violation) == 0 with input as fixtures.spec(cluster)
}
