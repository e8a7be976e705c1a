# METADATA
# title: Shared predicates of kafkac's policy library
# description: >-
#   Helpers every rule uses: how a result is shaped, how a field is named in a
#   message, how broker options are read with Kafka's defaults, and how a
#   cluster is paired with its base version.
package kafkac.lib

# A result about a resource as written (a Kafka, a KafkaNodePool, a KafkaTopic).
violation(id, resource, path, msg) := {
	"id": id,
	"msg": msg,
	"kind": resource.kind,
	"name": resource.metadata.name,
	"path": path,
}

# A result about a resource named by kind and name.
violation_at(id, kind, name, path, msg) := {
	"id": id,
	"msg": msg,
	"kind": kind,
	"name": name,
	"path": path,
}

# A result about a rendered manifest: input.manifests[_].
manifest_violation(id, manifest, path, msg) := {
	"id": id,
	"msg": msg,
	"kind": manifest.object.kind,
	"name": manifest.object.metadata.name,
	"file": manifest.file,
	"path": path,
}

# "Kafka prod", "KafkaNodePool brokers": how messages name a resource.
named(resource) := sprintf("%s %s", [resource.kind, resource.metadata.name])

# A field path as kafkac prints it: spec.kafka.config["min.insync.replicas"].
field(path) := concat("", [_segment(i, part) | some i, part in path])

_segment(_, part) := sprintf("[%d]", [part]) if is_number(part)

_segment(0, part) := part if {
	is_string(part)
	_plain(part)
}

_segment(i, part) := sprintf(".%s", [part]) if {
	is_string(part)
	i > 0
	_plain(part)
}

_segment(_, part) := sprintf("[%s]", [json.marshal(part)]) if {
	is_string(part)
	not _plain(part)
}

_plain(part) if regex.match(`^[A-Za-z_$][A-Za-z0-9_$-]*$`, part)

# --- broker options --------------------------------------------------------------------

# spec.kafka.config as written, or {}.
config(cluster) := object.get(cluster.kafka, ["spec", "kafka", "config"], {})

config_path(option) := ["spec", "kafka", "config", option]

# A whole number written as a number or as a string of digits; undefined otherwise.
number(value) := value if is_number(value)

number(value) := to_number(trim_space(value)) if {
	is_string(value)
	regex.match(`^\s*[+-]?[0-9]+\s*$`, value)
}

# Kafka reads booleans in any letter case.
is_true(value) if value == true

is_true(value) if {
	is_string(value)
	lower(trim_space(value)) == "true"
}

# A numeric broker option: the value in spec.kafka.config, else Kafka's default.
config_number(cluster, option, kafka_default) := value if {
	value := number(config(cluster)[option])
} else := kafka_default

# " (Kafka's default)" when the option is not written in the spec.
default_note(cluster, option) := "" if {
	_ := config(cluster)[option]
} else := " (Kafka's default)"

# A list option (comma-separated) as a set of trimmed items.
list_items(value) := {trim_space(item) | some item in split(value, ",")} if is_string(value)

list_items(value) := {trim_space(item) | some item in value} if is_array(value)

# --- topics ----------------------------------------------------------------------------

# A topic's partitions and replicas: with defaults applied for a topic the chart
# manages (facts), else as written; undefined when neither is known.
topic_partitions(topic) := topic.facts.partitions if {
	is_number(topic.facts.partitions)
} else := number(topic.resource.spec.partitions)

topic_replicas(topic) := topic.facts.replicas if {
	is_number(topic.facts.replicas)
} else := number(topic.resource.spec.replicas)

# --- node pools ------------------------------------------------------------------------

has_role(pool, role) if role in pool.facts.roles

# Pools in input order with the given role.
pools_with_role(cluster, role) := [pool | some pool in cluster.nodePools; has_role(pool, role)]

# --- upgrades: base and head -----------------------------------------------------------

# The base version of a cluster: same name, and the same namespace or one of them not
# written (it lands where it is applied). Undefined without --base.
base_cluster(cluster) := base if {
	some base in input.base.clusters
	base.name == cluster.name
	_same_namespace(base.namespace, cluster.namespace)
}

_same_namespace(one, other) if one == other

_same_namespace(one, _) if one == null

_same_namespace(_, other) if other == null

# A node pool of the base cluster by name.
base_pool(base, name) := pool if {
	some pool in base.nodePools
	pool.name == name
}
