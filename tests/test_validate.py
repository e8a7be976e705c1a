"""The validate stage: schema findings, their positions, rules and words.

Negative cases are data: each `tests/cases/invalid/<case>.yaml` starts with
one or more `# expect: LINE:COL RULE` lines naming exactly the findings that
load + validate must produce. Every `tests/cases/valid/*.yaml` must produce none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest

from compiler import _strimzi_fields
from compiler import validate as validate_module
from compiler.findings import Finding, dotted
from compiler.load import Documents, load, load_text
from compiler.prune import as_applied
from compiler.validate import StrimziFields, validate

from .conftest import STRIMZI_CORPUS, require_strimzi_corpus
from .util import expectations, tree_paths

CASES = Path(__file__).parent / "cases"
INVALID_CASES = sorted((CASES / "invalid").glob("*.yaml"))
VALID_CASES = sorted((CASES / "valid").glob("*.yaml"))
STRIMZI = STRIMZI_CORPUS
STRIMZI_KAFKA_EXAMPLES = sorted((STRIMZI / "examples" / "kafka").glob("*.yaml"))
STRIMZI_ALL_EXAMPLES = sorted((STRIMZI / "examples").rglob("*.yaml"))

_RULE = re.compile(r"^(schema\.[A-Za-z]+|kind\.(unknown|unsupported|skipped|mirror-maker-1)|api-version\.unknown"
                   r"|kubernetes\.[a-z-]+|limits\.[A-Za-z-]+|listener\.host|input\.server-written)$")


def findings_for(*paths: Path) -> list[Finding]:
    """What the pipeline's validate step finds: null fields, and what a live object carries besides its
    spec, dropped first, as the API server does; in the order of the file."""
    documents = as_applied(load(list(paths)))
    return sorted(documents.findings + validate(documents), key=Finding.sort_key)


def findings_for_text(text: str, name: str = "spec.yaml") -> list[Finding]:
    docs, findings = load_text(text, name)
    assert findings == []
    return validate(Documents(docs, []))


def assert_well_formed(finding: Finding) -> None:
    assert finding.span.line > 0 and finding.span.col > 0, finding
    assert _RULE.match(finding.rule), finding.rule
    assert finding.message.startswith((dotted(finding.path) or "document") + ": "), finding.message
    assert finding.expected, finding
    # Only settings that change nothing are warnings; everything else refuses the spec.
    assert finding.is_error or finding.rule in ("schema.noEffect", "kind.unsupported", "kind.skipped",
                                                "input.server-written"), finding


# --- data-driven cases -------------------------------------------------------------------

@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda p: p.stem)
def test_invalid_case_gives_exactly_the_expected_findings(case: Path):
    expected = expectations(case)
    assert expected, f"{case} has no `# expect: LINE:COL RULE` line"
    findings = findings_for(case)
    assert [(f.span.line, f.span.col, f.rule) for f in findings] == expected, \
        "\n".join(f"{f.span}: [{f.rule}] {f.message}" for f in findings)
    for finding in findings:
        assert finding.span.file == str(case)
        assert_well_formed(finding)


@pytest.mark.parametrize("case", VALID_CASES, ids=lambda p: p.stem)
def test_valid_case_has_no_findings(case: Path):
    assert findings_for(case) == []


def test_there_are_enough_cases():
    assert len(INVALID_CASES) >= 19 and len(VALID_CASES) >= 3


# --- Strimzi's own examples ------------------------------------------------------------

@pytest.mark.parametrize("example", STRIMZI_KAFKA_EXAMPLES, ids=lambda p: p.stem)
def test_strimzi_kafka_examples_validate(example: Path):
    documents = load([example])
    assert {d.kind for d in documents.documents} <= {"Kafka", "KafkaNodePool"}
    assert documents.findings == []
    assert [f"{f.span}: {f.message}" for f in validate(documents)] == []


def test_every_strimzi_example_gives_only_positioned_findings():
    require_strimzi_corpus()
    documents = load(STRIMZI_ALL_EXAMPLES)
    findings = validate(documents)
    assert findings, "the examples use features kafkac does not support yet"
    for finding in findings:
        assert_well_formed(finding)
    unknown = [f for f in findings if "unknown field" in f.message]
    assert unknown == [], "a field of Strimzi's own examples was reported as unknown"


# --- exact words ---------------------------------------------------------------------

KAFKA = """\
apiVersion: kafka.strimzi.io/v1
kind: Kafka
metadata:
  name: my-cluster
spec:
  kafka:
    listeners:
      - name: plain
        port: 9092
        type: internal
        tls: false
"""

NODE_POOL = """\
apiVersion: kafka.strimzi.io/v1
kind: KafkaNodePool
metadata:
  name: brokers
spec:
  replicas: 3
  roles: [broker]
  storage:
    type: persistent-claim
    size: 100Gi
"""


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def test_port_message():
    finding = only(findings_for_text(KAFKA.replace("port: 9092", "port: 70000")))
    assert finding.rule == "schema.maximum"
    assert finding.message == "spec.kafka.listeners[0].port: 70000 is greater than the maximum of 65535"
    assert finding.expected == "9092 to 65535"
    assert finding.path == ("spec", "kafka", "listeners", 0, "port")
    assert (finding.span.line, finding.span.col) == (9, 15)
    assert finding.resource == "Kafka/my-cluster"


def test_reserved_port_names_the_reserved_values():
    finding = only(findings_for_text(KAFKA.replace("port: 9092", "port: 9999")))
    assert finding.rule == "schema.not"
    assert finding.message == "spec.kafka.listeners[0].port: 9999 is not allowed here"
    assert "9404" in finding.expected and "9999" in finding.expected


def test_unknown_field_points_at_the_key_and_suggests_a_name():
    finding = only(findings_for_text(KAFKA.replace("        tls: false", "        tls: false\n        tsl: true")))
    assert finding.message == "spec.kafka.listeners[0].tsl: unknown field (did you mean tls?)"
    assert finding.expected == "one of the fields authentication, configuration, name, networkPolicyPeers, port, tls, type"
    assert (finding.span.line, finding.span.col) == (12, 9)


def test_strimzi_field_is_named_as_not_supported_yet():
    text = KAFKA + "    tieredStorage:\n      type: custom\n"
    finding = only(findings_for_text(text))
    assert finding.message == "spec.kafka.tieredStorage: part of Strimzi's API but not supported by kafkac yet"
    assert finding.rule == "schema.additionalProperties"


def test_strimzi_listener_type_is_named_as_not_supported_yet():
    finding = only(findings_for_text(KAFKA.replace("type: internal", "type: tlsroute")))
    assert finding.message == ("spec.kafka.listeners[0].type: \"tlsroute\" is part of Strimzi's API "
                               "but not supported by kafkac yet")
    assert finding.expected == ('"internal", "cluster-ip", "nodeport", "loadbalancer", "route" '
                                'or "ingress"')


def test_zookeeper_needs_its_storage():
    text = KAFKA.replace("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2") + "  zookeeper:\n    replicas: 3\n"
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.required" and "storage" in finding.message


def test_missing_required_field_points_at_the_parent_key():
    finding = only(findings_for_text(NODE_POOL.replace("    size: 100Gi\n", "")))
    assert finding.rule == "schema.required"
    assert finding.path == ("spec", "storage", "size")
    assert finding.message == ('spec.storage.size: required field is missing '
                               '(best match: type "persistent-claim", 2 other alternatives)')
    assert (finding.span.line, finding.span.col) == (8, 3)
    assert finding.expected.startswith("size: ")


def test_storage_without_type_names_the_types():
    finding = only(findings_for_text(NODE_POOL.replace("    type: persistent-claim\n", "")))
    assert finding.rule == "schema.required"
    assert finding.message == "spec.storage.type: required field is missing"
    assert finding.expected == '"ephemeral", "persistent-claim" or "jbod"'


def test_storage_that_is_not_an_object():
    text = NODE_POOL.replace("  storage:\n    type: persistent-claim\n    size: 100Gi\n", "  storage: ephemeral\n")
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.type"
    assert finding.message == 'spec.storage: "ephemeral" is a string, not an object'


def test_quantity_below_zero_is_a_minimum_error_not_a_type_error():
    text = NODE_POOL + "  resources:\n    limits:\n      cpu: -1\n"
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.minimum"
    assert finding.message == ("spec.resources.limits.cpu: -1 is less than the minimum of 0 "
                               "(best match, 1 other alternative)")


def test_gpu_limit_is_strimzi_api_not_supported_yet():
    text = NODE_POOL + "  resources:\n    limits:\n      nvidia.com/gpu: 1\n"
    finding = only(findings_for_text(text))
    assert finding.message.endswith("part of Strimzi's API but not supported by kafkac yet")


def test_entity_operator_needs_an_object():
    text = KAFKA + "  entityOperator:\n    topicOperator:\n"
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.type"
    assert finding.message == "spec.entityOperator.topicOperator: null is not an object"


def test_document_that_is_not_a_mapping():
    finding = only(findings_for_text("- a\n- b\n"))
    assert finding.rule == "schema.type"
    assert (finding.span.line, finding.span.col) == (1, 1)


def test_document_without_kind():
    finding = only(findings_for_text("apiVersion: v1\nmetadata:\n  name: x\n"))
    assert finding.rule == "kind.unknown"
    assert finding.message == "kind: missing, so the document cannot be checked"


@pytest.mark.parametrize("text", [
    "apiVersion: kafka.strimzi.io/v1\nkind: [Kafka]\n",
    "apiVersion: [kafka.strimzi.io/v1]\nkind: Kafka\n",
    "apiVersion: kafka.strimzi.io/v1\nkind: {a: b}\n",
])
def test_kind_and_api_version_of_the_wrong_type(text: str):
    finding = only(findings_for_text(text))
    assert finding.rule in ("kind.unknown", "api-version.unknown")
    assert_well_formed(finding)


def test_config_map_with_wrong_api_version():
    finding = only(findings_for_text("apiVersion: v2\nkind: ConfigMap\nmetadata:\n  name: x\n"))
    assert finding.rule == "api-version.unknown"
    assert finding.expected == "v1"
    assert (finding.span.line, finding.span.col) == (1, 13)


def test_several_problems_are_sorted_by_position():
    text = NODE_POOL.replace("replicas: 3", "replicas: -2").replace("[broker]", "[]") \
        .replace("name: brokers", "name: Brokers")
    findings = findings_for_text(text)
    assert [f.rule for f in findings] == ["schema.pattern", "schema.minimum", "schema.minItems"]
    assert findings == sorted(findings, key=Finding.sort_key)


# --- Kubernetes-typed subtrees ----------------------------------------------------------

AFFINITY = KAFKA + """\
    template:
      pod:
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - key: topology.kubernetes.io/zone
                      operator: In
                      values: [eu-west-1a]
"""


def test_kubernetes_value_error_deep_inside_is_positioned_at_the_field():
    finding = only(findings_for_text(AFFINITY.replace("operator: In", "operator: Inn")))
    assert finding.rule == "schema.enum"
    assert finding.path == ("spec", "kafka", "template", "pod", "affinity", "nodeAffinity",
                            "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", 0,
                            "matchExpressions", 0, "operator")
    assert finding.message == ("spec.kafka.template.pod.affinity.nodeAffinity."
                               "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]."
                               "matchExpressions[0].operator: "
                               '"Inn" is not "In", "NotIn", "Exists", "DoesNotExist", "Gt" or "Lt"')
    assert finding.expected == '"In", "NotIn", "Exists", "DoesNotExist", "Gt" or "Lt"'
    assert (finding.span.line, finding.span.col) == (20, 33)
    assert finding.resource == "Kafka/my-cluster"


def test_kubernetes_missing_field_names_it_with_the_first_sentence_of_its_description():
    finding = only(findings_for_text(AFFINITY.replace("                      operator: In\n", "")))
    assert finding.rule == "schema.required"
    assert finding.message.endswith("matchExpressions[0].operator: required field is missing")
    assert finding.expected == "operator: Represents a key's relationship to a set of values."
    assert (finding.span.line, finding.span.col) == (19, 23)


def test_kubernetes_unknown_field_offers_strimzis_fields():
    text = AFFINITY.replace("values: [eu-west-1a]", "value: [eu-west-1a]")
    finding = only(findings_for_text(text))
    assert finding.message.endswith("matchExpressions[0].value: unknown field (did you mean values?)")
    assert finding.expected == "one of the fields key, operator, values"


def test_kubernetes_field_that_strimzi_lacks_is_refused_by_name():
    text = NODE_POOL + """\
  template:
    kafkaContainer:
      volumeMounts:
        - name: certs
          mountPath: /mnt/certs
          bindMountOptions: [noexec]
"""
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.additionalProperties"
    assert finding.message == ("spec.template.kafkaContainer.volumeMounts[0].bindMountOptions: a Kubernetes field "
                               "that is not part of Strimzi's API, so kafkac does not accept it")
    assert "bindMountOptions" not in finding.expected and "mountPath" in finding.expected
    assert (finding.span.line, finding.span.col) == (16, 11)


ENV = KAFKA + """\
    template:
      kafkaContainer:
        env:
          - name: ZONE
            value: eu-west-1a
"""


def test_env_var_names_that_kafkac_sets_are_reserved():
    finding = only(findings_for_text(ENV.replace("name: ZONE", "name: STRIMZI_RACK")))
    assert finding.rule == "schema.not"
    assert finding.message == ('spec.kafka.template.kafkaContainer.env[0].name: "STRIMZI_RACK" is reserved: '
                               "names starting with KAFKA_, STRIMZI_ or KAFKAC_, other than KAFKA_OPTS, are set by kafkac")
    assert finding.expected == "KAFKA_OPTS, or a name that does not start with KAFKA_, STRIMZI_ or KAFKAC_."


def test_kafka_opts_is_the_users_as_in_strimzi_and_only_that_name_of_the_prefix():
    # Strimzi's start script keeps a KAFKA_OPTS of the container's env (Java agents are attached so).
    assert findings_for_text(ENV.replace("name: ZONE", "name: KAFKA_OPTS")) == []
    for name in ("KAFKA_OPTS_EXTRA", "KAFKA_OPT"):
        assert only(findings_for_text(ENV.replace("name: ZONE", f"name: {name}"))).rule == "schema.not"


def test_env_var_value_from_only_takes_secret_or_config_map_keys():
    text = ENV.replace("value: eu-west-1a", "valueFrom:\n              fieldRef: {fieldPath: spec.nodeName}")
    finding = only(findings_for_text(text))
    assert finding.path[-2:] == ("valueFrom", "fieldRef")
    assert finding.expected == "one of the fields configMapKeyRef, secretKeyRef"


def test_env_var_without_a_value():
    finding = only(findings_for_text(ENV.replace("            value: eu-west-1a\n", "")))
    assert finding.rule == "schema.oneOf"
    assert finding.message == ("spec.kafka.template.kafkaContainer.env[0]: needs one of value or valueFrom, "
                               "and has none")
    assert finding.expected == "exactly one of value or valueFrom"


def test_volume_with_two_sources():
    text = KAFKA + """\
    template:
      pod:
        volumes:
          - name: certs
            secret: {secretName: certs}
            configMap: {name: certs}
"""
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.oneOf"
    assert finding.message == "spec.kafka.template.pod.volumes[0].configMap: not allowed together with secret"
    assert (finding.span.line, finding.span.col) == (17, 13)


def test_kubernetes_type_error_does_not_mention_null():
    text = NODE_POOL + "  template:\n    pod:\n      securityContext:\n        runAsUser: root\n"
    finding = only(findings_for_text(text))
    assert finding.message == 'spec.template.pod.securityContext.runAsUser: "root" is a string, not an integer'


def test_kubernetes_value_that_is_not_an_object_is_reported_once():
    text = NODE_POOL + "  template:\n    pod:\n      tolerations: [NoSchedule]\n"
    finding = only(findings_for_text(text))
    assert finding.rule == "schema.type"
    assert finding.path == ("spec", "template", "pod", "tolerations", 0)


def test_kubernetes_subtrees_of_both_kinds():
    documents = load([CASES / "valid" / "production-three-pools.yaml"]).documents
    found = {(d.kind, dotted(path)): definition for d in documents
             for path, definition, _ in validate_module.kubernetes_subtrees(d)}
    assert found[("Kafka", "spec.kafka.template.pod.securityContext")] == "io.k8s.api.core.v1.PodSecurityContext"
    assert found[("Kafka", "spec.kafka.template.pod.tolerations[0]")] == "io.k8s.api.core.v1.Toleration"
    assert found[("KafkaNodePool", "spec.template.pod.volumes[0].configMap")] == \
        "io.k8s.api.core.v1.ConfigMapVolumeSource"
    assert found[("KafkaNodePool", "spec.template.kafkaContainer.env[0]")] == validate_module.ENV_VAR


def test_kubernetes_schemas_are_the_newest_the_package_ships():
    assert validate_module.KUBERNETES_VERSION == kubernetes_validate.latest_version()
    assert validate_module.KUBERNETES_DEFINITIONS_FILE.is_file()


def test_kubernetes_subtrees_are_strimzi_fields_with_kubernetes_definitions():
    definitions = validate_module.kubernetes_definitions()["$defs"]
    fields = validate_module._strimzi_fields()
    for notation, definition in validate_module.KUBERNETES_SUBTREES.items():
        assert definition in definitions, definition
        for kind, root in validate_module.TEMPLATE_PATHS.items():
            path = root + tuple(0 if token == "[]" else token for token in validate_module._tokens(notation))
            assert fields.knows(kind, path), (kind, notation)
    for (definition, field_name), values in validate_module.KUBERNETES_ENUMS.items():
        assert definitions[definition]["properties"][field_name]["enum"] == list(values)


def test_kubernetes_validators_are_built_once():
    name = "io.k8s.api.core.v1.Affinity"
    assert validate_module.kubernetes_validator(name) is validate_module.kubernetes_validator(name)


# --- behaviour -------------------------------------------------------------------------

def test_findings_are_deterministic():
    first = [(f.span, f.rule, f.message) for f in findings_for(*INVALID_CASES)]
    second = [(f.span, f.rule, f.message) for f in findings_for(*INVALID_CASES)]
    assert first == second


def test_validators_are_compiled_once():
    assert validate_module._validator("kafka") is validate_module._validator("kafka")


def test_every_kind_has_a_schema_file():
    for name in set(validate_module.SCHEMA_NAMES.values()):
        assert validate_module.schema_file(name).is_file()


def test_strimzi_field_lookup():
    fields = validate_module._strimzi_fields()
    assert fields.knows("Kafka", ("spec", "kafka", "listeners", 3, "configuration", "bootstrap", "host"))
    assert fields.knows("Kafka", ("spec", "kafka", "config", "any.property"))
    assert fields.knows("KafkaNodePool", ("spec", "resources", "limits", "nvidia.com/gpu"))
    assert not fields.knows("Kafka", ("spec", "kafka", "listner"))
    assert not fields.knows("ConfigMap", ("data",))
    assert "nodeport" in fields.enum("Kafka", ("spec", "kafka", "listeners", 0, "type"))


def test_strimzi_field_tree_from_data():
    fields = StrimziFields({"kinds": {"K": {"fields": ["a", "a.b[]", "a.b[].c", "m", "m.*", "x", "x.**"],
                                              "enums": {"a.b[].c": ["one"]}}}})
    assert fields.knows("K", ("a", "b", 0, "c"))
    assert not fields.knows("K", ("a", "c"))
    assert fields.knows("K", ("m", "anything"))
    assert fields.knows("K", ("x", "deep", 1, "er"))
    assert fields.enum("K", ("a", "b", 2, "c")) == ["one"]


def test_strimzi_fields_file_is_up_to_date():
    require_strimzi_corpus()
    committed = json.loads(_strimzi_fields.FIELDS_FILE.read_text(encoding="utf-8"))
    assert _strimzi_fields.build(STRIMZI / "crds") == committed, \
        f"run: python -m compiler._strimzi_fields {STRIMZI / 'crds'}"


# --- robustness ------------------------------------------------------------------------

JUNK = (None, [], {}, "x", -1, 1.5, True, {"zz": 1}, [{"type": "jbod"}], "9" * 100)


def _replaced(node, path, value):
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replaced(node[path[0]], path[1:], value)
    return copy


def test_any_value_anywhere_gives_well_formed_findings():
    documents = load([CASES / "valid" / "every-supported-field.yaml"]).documents
    checked = 0
    for document in documents:
        # Each path gets every fifth kind of junk, in rotation, so every kind
        # of junk lands on every kind of field without a full cross product.
        for i, path in enumerate(tree_paths(document.data)):
            for junk in JUNK[i % 5::5]:
                mutated = type(document)(document.file, document.index, _replaced(document.data, path, junk),
                                         document.spans, document.key_spans)
                for finding in validate(Documents([mutated], [])):
                    assert_well_formed(finding)
                checked += 1
    assert checked > 200


def test_other_kinds_in_the_same_files_are_skipped_with_a_note():
    findings = findings_for_text(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kafka\n---\n"
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: ca\n---\n"
        "apiVersion: kafka.strimzi.io/v1\nkind: KafkaBridge\nmetadata:\n  name: bridge\n")
    assert [(f.span.line, f.span.col, f.rule, str(f.severity)) for f in findings] == [
        (2, 7, "kind.skipped", "info"), (7, 7, "kind.skipped", "info"),
        (12, 7, "kind.unsupported", "warning")]
    assert "Namespace kafka is not a kind kafkac compiles, so it is skipped" in findings[0].message
    assert "KafkaBridge bridge is skipped: it is not in the chart" in findings[2].message


def test_a_skipped_resource_without_a_name_is_named_by_its_kind_alone():
    findings = findings_for_text("apiVersion: v1\nkind: Namespace\nmetadata: {}\n---\n"
                                 "apiVersion: kafka.strimzi.io/v1\nkind: KafkaBridge\nspec: {}\n")
    assert [f.message for f in findings] == [
        "kind: Namespace is not a kind kafkac compiles, so it is skipped",
        "kind: KafkaBridge is a Strimzi kind that kafkac does not compile yet, so a KafkaBridge without a name "
        "is skipped: it is not in the chart"]


# --- what a live object carries besides its spec -------------------------------------------

EXPORTED_TOPIC = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: orders
  labels:
    strimzi.io/cluster: my-cluster
  resourceVersion: "1240"
  finalizers:
    - strimzi.io/topic-operator
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"kafka.strimzi.io/v1beta2","kind":"KafkaTopic","metadata":{"name":"orders"}}
  uid: 9c8b7a6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d
spec:
  partitions: 3
status:
  topicName: orders
"""


def test_what_the_api_server_wrote_is_one_note_at_the_first_such_field_and_is_dropped():
    docs, _ = load_text(EXPORTED_TOPIC, "topic.yaml")
    documents = as_applied(Documents(docs, []))
    (note,) = documents.findings
    assert (note.rule, str(note.severity), str(note.span), note.path) == (
        "input.server-written", "info", "topic.yaml:7:3", ("metadata", "resourceVersion"))
    assert note.message.startswith(
        "metadata.resourceVersion: written on a live object (exported with kubectl get -o yaml?), as are "
        "metadata.finalizers, metadata.uid and status, not part of a spec")
    assert "strimzi.io/topic-operator are Strimzi's operator's" in note.message
    (topic,) = documents.documents
    assert set(topic.data) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(topic.data["metadata"]) == {"name", "labels", "annotations"}
    assert validate(documents) == []
    assert docs[0].data["status"] == {"topicName": "orders"}  # the document as loaded is not changed


def test_a_document_without_server_written_fields_is_kept_as_it_is():
    docs, _ = load_text(KAFKA, "kafka.yaml")
    documents = as_applied(Documents(docs, []))
    assert documents.findings == [] and documents.documents[0] is docs[0]


def test_an_exported_config_map_is_read_as_its_data():
    docs, _ = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: metrics\n  uid: 1c6c3a47\n"
                        "  creationTimestamp: \"2025-01-01T00:00:00Z\"\ndata:\n  a: b\n", "cm.yaml")
    documents = as_applied(Documents(docs, []))
    assert [(f.rule, f.path) for f in documents.findings] == [("input.server-written", ("metadata", "uid"))]
    assert validate(documents) == []
    # What `kubectl create configmap --dry-run=client -o yaml` writes: a timestamp with no value, absent.
    docs, _ = load_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: metrics\n  creationTimestamp: null\n"
                        "data:\n  a: b\n", "cm.yaml")
    documents = as_applied(Documents(docs, []))
    assert documents.findings == [] and validate(documents) == []


def test_finalizers_of_another_controller_stay_refused_and_say_what_to_do():
    text = EXPORTED_TOPIC.replace("    - strimzi.io/topic-operator\n",
                                  "    - strimzi.io/topic-operator\n    - backup.example.com/snapshot\n")
    docs, _ = load_text(text, "topic.yaml")
    documents = as_applied(Documents(docs, []))
    assert "finalizers" not in documents.findings[0].message
    (refused,) = validate(documents)
    assert (refused.rule, str(refused.span), refused.path) == (
        "schema.additionalProperties", "topic.yaml:8:3", ("metadata", "finalizers"))
    assert refused.message.startswith('metadata.finalizers: finalizers of another controller '
                                      '("backup.example.com/snapshot")')
    assert "remove them" in refused.message


def test_an_object_being_deleted_is_refused_not_compiled():
    text = EXPORTED_TOPIC.replace("  uid:", "  deletionTimestamp: \"2025-03-01T10:00:00Z\"\n  uid:")
    docs, _ = load_text(text, "topic.yaml")
    documents = as_applied(Documents(docs, []))
    (refused,) = validate(documents)
    assert (refused.rule, refused.path) == ("schema.additionalProperties", ("metadata", "deletionTimestamp"))
    assert "an object being deleted" in refused.message and "not a spec to deploy" in refused.message


def test_a_field_only_strimzis_v1beta2_api_had_is_named_as_such():
    findings = findings_for(CASES / "invalid" / "v1beta2-only-fields.yaml")
    assert findings and all("Strimzi's v1beta2 API had it" in f.message for f in findings)


V1BETA2_ZOOKEEPER_KAFKA = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata:
  name: old
spec:
  kafka:
    version: 3.9.0
    replicas: 3
    listeners:
      - name: plain
        port: 9092
        type: internal
        tls: false
    storage:
      type: persistent-claim
      size: 100Gi
      overrides:
        - broker: 0
          class: zone-a
    template:
      statefulset:
        podManagementPolicy: Parallel
      clusterCaCert:
        metadata:
          labels:
            team: kafka
  zookeeper:
    replicas: 3
    storage:
      type: ephemeral
  kafkaExporter:
    template:
      service:
        metadata:
          labels:
            team: kafka
"""


def test_sections_of_strimzis_own_workloads_warn_that_they_have_no_effect():
    text = V1BETA2_ZOOKEEPER_KAFKA.replace(
        "      overrides:\n        - broker: 0\n          class: zone-a\n", "")
    connect = """\
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata:
  name: connect
spec:
  replicas: 1
  bootstrapServers: old-kafka-bootstrap:9092
  template:
    buildPod:
      metadata:
        labels:
          team: kafka
    buildContainer:
      env:
        - name: HTTP_PROXY
          value: http://proxy:3128
    buildServiceAccount:
      metadata:
        labels:
          team: kafka
"""
    findings = findings_for_text(text + connect)
    for finding in findings:
        assert_well_formed(finding)
    assert {(dotted(f.path), f.rule) for f in findings} == {
        ("spec.kafka.template.statefulset", "schema.noEffect"),
        ("spec.kafka.template.clusterCaCert", "schema.noEffect"),
        ("spec.kafkaExporter.template.service", "schema.noEffect"),
        ("spec.template.buildPod", "schema.noEffect"),
        ("spec.template.buildContainer", "schema.noEffect"),
        ("spec.template.buildServiceAccount", "schema.noEffect")}
    by_path = {dotted(f.path): f for f in findings}
    assert "kafkac's StatefulSet takes template.podSet" in by_path["spec.kafka.template.statefulset"].message
    assert "certificates Job" in by_path["spec.kafka.template.clusterCaCert"].message


def test_renamed_and_removed_v1beta2_fields_say_what_replaces_them():
    overrides = only(findings_for_text(V1BETA2_ZOOKEEPER_KAFKA.replace(
        "      statefulset:\n        podManagementPolicy: Parallel\n", "").replace(
        "      clusterCaCert:\n        metadata:\n          labels:\n            team: kafka\n", "").replace(
        "  kafkaExporter:\n    template:\n      service:\n        metadata:\n          labels:\n"
        "            team: kafka\n", "").replace("    template:\n  zookeeper", "  zookeeper")))
    assert overrides.rule == "schema.additionalProperties" and overrides.is_error
    assert "give each storage class a KafkaNodePool of its own" in overrides.message
    mirror = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaMirrorMaker2
metadata:
  name: mirror
spec:
  replicas: 1
  connectCluster: target
  clusters:
    - alias: source
      bootstrapServers: source:9092
    - alias: target
      bootstrapServers: target:9092
  mirrors:
    - sourceCluster: source
      targetCluster: target
      topicsPattern: ".*"
      topicsBlacklistPattern: "__.*"
"""
    blacklist = only(findings_for_text(mirror))
    assert (blacklist.span.line, blacklist.span.col) == (17, 7)
    assert "renamed it topicsExcludePattern" in blacklist.message and "did you mean" not in blacklist.message


def test_an_empty_section_without_effect_gives_no_warning():
    empty = KAFKA + "  entityOperator:\n    topicOperator: {}\n    template: {}\n"
    assert findings_for_text(empty) == []
    filled = empty.replace("    template: {}\n", "    template:\n      pod:\n        priorityClassName: high\n")
    assert [f.rule for f in findings_for_text(filled)] == ["schema.noEffect"]
