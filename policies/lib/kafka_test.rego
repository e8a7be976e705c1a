package kafkac.lib_test

import data.kafkac.lib

test_field_names_a_path_as_kafkac_prints_it if {
	lib.field(["spec", "kafka", "config", "min.insync.replicas"]) == `spec.kafka.config["min.insync.replicas"]`
	lib.field(["spec", "kafka", "listeners", 1, "port"]) == "spec.kafka.listeners[1].port"
	lib.field(["metadata", "annotations", "kafkac.io/profile"]) == `metadata.annotations["kafkac.io/profile"]`
}

test_numbers_and_booleans_read_as_kafka_reads_them if {
	lib.number(3) == 3
	lib.number(" 3 ") == 3
	not lib.number("three")
	lib.is_true(true)
	lib.is_true("TRUE")
	not lib.is_true("false")
	lib.list_items("TLSv1.2, TLSv1.3") == {"TLSv1.2", "TLSv1.3"}
}

test_config_number_falls_back_to_kafkas_default if {
	cluster := {"kafka": {"spec": {"kafka": {"config": {"a": "2"}}}}}
	lib.config_number(cluster, "a", 1) == 2
	lib.config_number(cluster, "b", 1) == 1
	lib.default_note(cluster, "a") == ""
	lib.default_note(cluster, "b") == " (Kafka's default)"
}

test_base_cluster_matches_namespace_and_name if {
	head := {"name": "a", "namespace": "x"}
	other := {"name": "a", "namespace": "y"}
	lib.base_cluster(head) == head with input as {"base": {"clusters": [other, head]}}
	not lib.base_cluster(head) with input as {"base": null}
}
