package kafkac.rules.upgrade.kraft_migration_test

import data.kafkac.fixtures
import data.kafkac.rules.upgrade.kraft_migration

at(step) := json.patch(fixtures.cluster, [
	{"op": "add", "path": "/facts/kraftMigration", "value": step},
	{"op": "add", "path": "/kafka/metadata/annotations", "value": {"strimzi.io/kraft": "x"}},
])

test_each_step_of_the_migration_in_its_order_is_allowed if {
	every pair in [["disabled", "migration"], ["migration", "enabled"], ["enabled", "kraft"], ["migration", "rollback"], ["rollback", "disabled"], ["migration", "migration"], ["kraft", "kraft"]] {
		count(kraft_migration.violation) == 0 with input as fixtures.upgrade(at(pair[1]), at(pair[0]))
	}
}

test_a_skipped_step_is_refused_and_names_the_next_one if {
	results := kraft_migration.violation with input as fixtures.upgrade(at("enabled"), at("disabled"))
	{[r.kind, r.path] | some r in results} == {["Kafka", ["metadata", "annotations", "strimzi.io/kraft"]]}
	some r in results
	contains(r.msg, "from strimzi.io/kraft: disabled to strimzi.io/kraft: enabled, spec.zookeeper kept, which skips a step")
	contains(r.msg, "the next allowed step is strimzi.io/kraft: migration")
	count(kraft_migration.violation) == 1 with input as fixtures.upgrade(at("kraft"), at("migration"))
	count(kraft_migration.violation) == 1 with input as fixtures.upgrade(at("disabled"), at("migration"))
}

test_going_back_where_kafka_cannot_is_refused if {
	results := kraft_migration.violation with input as fixtures.upgrade(at("rollback"), at("enabled"))
	some r in results
	contains(r.msg, "a KRaft cluster does not go back to ZooKeeper; keep it, or remove spec.zookeeper")
	count(kraft_migration.violation) == 1 with input as fixtures.upgrade(at("disabled"), at("enabled"))
	count(kraft_migration.violation) == 1 with input as fixtures.upgrade(at("disabled"), at("kraft"))
	back := kraft_migration.violation with input as fixtures.upgrade(at("rollback"), at("disabled"))
	some b in back
	contains(b.msg, "only from migration, through rollback; the next allowed step is strimzi.io/kraft: migration")
}

test_a_cluster_without_the_fact_is_in_kraft_mode if {
	count(kraft_migration.violation) == 0 with input as fixtures.upgrade(fixtures.cluster, fixtures.cluster)
}
