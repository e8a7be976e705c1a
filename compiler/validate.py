"""Stage 2: check every document against the JSON Schema of its kind.

The schemas are generated from the CUE sources (`schemas/*.cue` ->
`schemas/json/`). Each jsonschema error becomes one positioned Finding with
rule `schema.<keyword>`, worded by schema_errors; a field kafkac does not
accept points at its key and says whether it is Strimzi API that kafkac does
not support yet, something a live cluster wrote (`metadata.deletionTimestamp`;
what the API server sets on create is dropped before, by prune), or a plain
unknown field.

Values of Kubernetes API types inside a template (affinity, tolerations,
security contexts, env vars, volume mounts, volume sources, ...) are left open
by the CUE schema. Each is checked against the Kubernetes JSON Schema of its
type that the kubernetes-validate package ships, narrowed where Strimzi's API
narrows it; its findings are positioned like any other.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import container_env, input_limits, kube_syntax
from .findings import FieldPath, Finding, dotted, error, info, warning
from .document import Document, Documents
from .project_files import SCHEMAS
from .schema_errors import REFUSAL_KEYWORD, explain, show
from .schema_refs import reached_definitions
from .schema_validity import Check, Unsupported, compile_check
from .schemas import schema_file

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

# jsonschema is imported when a document is not valid: it words the errors. Whether a
# document is valid is decided without it (schema_validity), which is most of the time.

STRIMZI_API_VERSIONS = ("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2")

# (apiVersion, kind) -> schema name in schemas/json/
SCHEMA_NAMES: dict[tuple[str, str], str] = {
    **{(version, "Kafka"): "kafka" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaNodePool"): "kafkanodepool" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaTopic"): "kafkatopic" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaUser"): "kafkauser" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaConnect"): "kafkaconnect" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaConnector"): "kafkaconnector" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaMirrorMaker2"): "kafkamirrormaker2" for version in STRIMZI_API_VERSIONS},
    **{(version, "KafkaRebalance"): "kafkarebalance" for version in STRIMZI_API_VERSIONS},
    ("v1", "ConfigMap"): "configmap",
}
ACCEPTED_KINDS = ("Kafka, KafkaNodePool, KafkaTopic, KafkaUser, KafkaConnect, KafkaConnector, KafkaMirrorMaker2 "
                  "or KafkaRebalance (kafka.strimzi.io/v1 or v1beta2), or ConfigMap (v1)")

UNSUPPORTED_STRIMZI_KINDS = frozenset({
    "KafkaBridge", "StrimziPodSet",
})


# --- Kubernetes-typed subtrees ---------------------------------------------------------
# Values of Kubernetes API types inside a template (affinity, tolerations, security
# contexts, env vars, volume mounts, volume sources, ...) are left open by the CUE schema
# and checked here against the Kubernetes JSON Schema of their type, from the newest
# Kubernetes version that the kubernetes-validate package ships.

KUBERNETES_VERSION = "1.37.0"  # the newest the pinned kubernetes-validate ships
# Found without importing the package (which imports jsonschema and more).
KUBERNETES_DEFINITIONS_FILE = (Path(importlib.util.find_spec("kubernetes_validate").submodule_search_locations[0])
                               / "kubernetes-json-schema" / f"v{KUBERNETES_VERSION}-local-strict"
                               / "_definitions.json")
KUBERNETES_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"  # the file's $id

_CORE = "io.k8s.api.core.v1."
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
# Definitions kafkac derives from Kubernetes ones where Strimzi narrows the type.
ENV_VAR, ENV_VAR_SOURCE = "kafkac.ContainerEnvVar", "kafkac.ContainerEnvVarSource"
VOLUME_MOUNT, EMPTY_DIR = "kafkac.AdditionalVolumeMount", "kafkac.EmptyDirVolumeSource"

_CONTAINER_SUBTREES = {"env[]": ENV_VAR, "securityContext": _CORE + "SecurityContext",
                       "volumeMounts[]": VOLUME_MOUNT}
# subtree, in strimzi-fields notation below the template -> the definition its values must match
KUBERNETES_SUBTREES: dict[str, str] = {
    "pod.securityContext": _CORE + "PodSecurityContext",
    "pod.affinity": _CORE + "Affinity",
    "pod.tolerations[]": _CORE + "Toleration",
    "pod.topologySpreadConstraints[]": _CORE + "TopologySpreadConstraint",
    "pod.hostAliases[]": _CORE + "HostAlias",
    "pod.dnsConfig": _CORE + "PodDNSConfig",
    "pod.volumes[].secret": _CORE + "SecretVolumeSource",
    "pod.volumes[].configMap": _CORE + "ConfigMapVolumeSource",
    "pod.volumes[].emptyDir": EMPTY_DIR,
    "pod.volumes[].persistentVolumeClaim": _CORE + "PersistentVolumeClaimVolumeSource",
    "pod.volumes[].csi": _CORE + "CSIVolumeSource",
    "pod.volumes[].image": _CORE + "ImageVolumeSource",
    **{f"{container}.{subtree}": definition for container in ("kafkaContainer", "initContainer")
       for subtree, definition in _CONTAINER_SUBTREES.items()},
}
# kind -> where its template is
TEMPLATE_PATHS: dict[str, FieldPath] = {"Kafka": ("spec", "kafka", "template"),
                                        "KafkaNodePool": ("spec", "template")}

# String fields whose values Kubernetes' API reference lists but its JSON Schema leaves
# free; (definition, field) -> the accepted values. "" is Kubernetes' "not set".
KUBERNETES_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    (_CORE + "NodeSelectorRequirement", "operator"): ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"),
    (_META + "LabelSelectorRequirement", "operator"): ("In", "NotIn", "Exists", "DoesNotExist"),
    (_CORE + "Toleration", "operator"): ("", "Equal", "Exists", "Lt", "Gt"),
    (_CORE + "Toleration", "effect"): ("", "NoSchedule", "PreferNoSchedule", "NoExecute"),
    (_CORE + "TopologySpreadConstraint", "whenUnsatisfiable"): ("DoNotSchedule", "ScheduleAnyway"),
    (_CORE + "TopologySpreadConstraint", "nodeAffinityPolicy"): ("Honor", "Ignore"),
    (_CORE + "TopologySpreadConstraint", "nodeTaintsPolicy"): ("Honor", "Ignore"),
    (_CORE + "PodSecurityContext", "fsGroupChangePolicy"): ("OnRootMismatch", "Always"),
    (_CORE + "PodSecurityContext", "seLinuxChangePolicy"): ("MountOption", "Recursive"),
    (_CORE + "PodSecurityContext", "supplementalGroupsPolicy"): ("Merge", "Strict"),
    (_CORE + "SeccompProfile", "type"): ("RuntimeDefault", "Unconfined", "Localhost"),
    (_CORE + "AppArmorProfile", "type"): ("RuntimeDefault", "Unconfined", "Localhost"),
    (_CORE + "SecurityContext", "procMount"): ("Default", "Unmasked"),
    (_CORE + "VolumeMount", "mountPropagation"): ("None", "HostToContainer", "Bidirectional"),
    (_CORE + "VolumeMount", "recursiveReadOnly"): ("Disabled", "IfPossible", "Enabled"),
    (_CORE + "ImageVolumeSource", "pullPolicy"): ("Always", "Never", "IfNotPresent"),
}

# Strimzi mounts additional volumes only below this path.
ADDITIONAL_VOLUME_MOUNT_PREFIX = "/mnt"

STRIMZI_FIELDS_FILE = SCHEMAS / "strimzi-fields.json"
ANY_ITEM, ANY_KEY, ANY_FIELDS = "[]", "*", "**"


def validate(documents: Documents) -> list[Finding]:
    """Findings for every document that does not match the schema of its kind, sorted by position."""
    findings: list[Finding] = []
    for document in documents.documents:
        findings.extend(validate_document(document))
        findings.extend(kube_syntax.check_document(document))
        findings.extend(input_limits.check_document(document))
    return sorted(_unique(findings), key=Finding.sort_key)


def validate_document(document: Document) -> list[Finding]:
    if not isinstance(document.data, dict):
        return [error("schema.type", f"document: {show(document.data)} is not a Kubernetes resource",
                      document.span, (), "a mapping with apiVersion, kind, metadata and spec",
                      document.describe())]
    schema_name, findings = _select_schema(document)
    if schema_name is None:
        return findings
    findings = []
    if not _is_valid(_validity_check(schema_name), document.data):
        errors = list(_validator(schema_name).iter_errors(document.data))
        findings = explain(document, errors, _schema(schema_name), _strimzi_fields())
    for path, definition, value in kubernetes_subtrees(document):
        findings.extend(_validate_kubernetes_subtree(document, path, definition, value))
    return findings


# --- Kubernetes-typed subtrees ---------------------------------------------------------

def kubernetes_subtrees(document: Document) -> Iterator[tuple[FieldPath, str, dict]]:
    """(path, definition, value) of each Kubernetes-typed object in the document's template.

    Values that are not objects are skipped: the CUE schema already reports them.
    """
    root = TEMPLATE_PATHS.get(document.kind)
    if root is None:
        return
    template = document.data
    for part in root:
        template = template.get(part) if isinstance(template, dict) else None
    if template is None:
        return
    for notation, definition in KUBERNETES_SUBTREES.items():
        for path, value in _values_at(template, root, _tokens(notation)):
            if isinstance(value, dict):
                yield path, definition, value


def _values_at(node, path: FieldPath, tokens: tuple[str, ...]) -> Iterator[tuple[FieldPath, object]]:
    if not tokens:
        yield path, node
    elif tokens[0] == ANY_ITEM:
        for index, item in enumerate(node if isinstance(node, list) else ()):
            yield from _values_at(item, path + (index,), tokens[1:])
    elif isinstance(node, dict) and tokens[0] in node:
        yield from _values_at(node[tokens[0]], path + (tokens[0],), tokens[1:])


def _validate_kubernetes_subtree(document: Document, base: FieldPath, definition: str, value: dict) -> list[Finding]:
    errors = [] if _is_valid(_kubernetes_validity_check(definition), value) else \
        list(kubernetes_validator(definition).iter_errors(value))
    unknown = {base + tuple(e.absolute_path) + (key,) for e in errors if e.validator == "additionalProperties"
               for key in e.instance if key not in e.schema.get("properties", {})}
    not_strimzi = list(_outside_strimzi_api(document.kind, base, value, unknown))

    def covered(err: ValidationError) -> bool:
        """Errors inside a field Strimzi lacks, or an exactly-one check next to one, add nothing."""
        path = base + tuple(err.absolute_path)
        return any(path[:len(field)] == field or (err.validator == "oneOf" and path == field[:-1])
                   for field in not_strimzi)

    findings = []
    if errors:
        definitions = kubernetes_definitions()
        findings = explain(document, [err for err in errors if not covered(err)], definitions, _strimzi_fields(),
                           base=base, start=definitions["$defs"][definition], kubernetes=True)
    for path in not_strimzi:
        allowed = _strimzi_fields().fields_under(document.kind, path[:-1])
        findings.append(error("schema.additionalProperties",
                              f"{dotted(path)}: a Kubernetes field that is not part of Strimzi's API, "
                              f"so kafkac does not accept it",
                              document.span_of(path, key=True), path, f"one of the fields {', '.join(allowed)}",
                              document.describe()))
    return findings


def _outside_strimzi_api(kind: str, path: FieldPath, node, unknown: set[FieldPath]) -> Iterator[FieldPath]:
    """Fields the Kubernetes type has but Strimzi's API does not (Strimzi would drop them)."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        child_path = path + (key,)
        if isinstance(key, str) and not _strimzi_fields().knows(kind, child_path):
            if child_path not in unknown:
                yield child_path
            continue
        yield from _outside_strimzi_api(kind, child_path, child, unknown)


@functools.cache
def kubernetes_definitions() -> dict:
    """The Kubernetes definitions, with the values Kubernetes documents and Strimzi's narrowing added."""
    definitions = json.loads(KUBERNETES_DEFINITIONS_FILE.read_text(encoding="utf-8"))
    defs = definitions["$defs"]
    for (name, field_name), values in KUBERNETES_ENUMS.items():
        defs[name]["properties"][field_name]["enum"] = list(values)
    defs.update(_strimzi_narrowing(defs))
    return definitions


def _strimzi_narrowing(defs: dict) -> dict[str, dict]:
    """Definitions for the Kubernetes types that Strimzi's API narrows."""
    def ref(name: str) -> str:
        return f"#/$defs/{name}"

    def exactly_one(*names: str) -> list[dict]:
        return [{"required": [name]} for name in names]

    env_var = copy.deepcopy(defs[_CORE + "EnvVar"])
    env_var["properties"]["name"].update({
        "description": f"{container_env.ACCEPTED}.",
        "not": {"pattern": "".join(f"^(?!{re.escape(name)}$)" for name in container_env.USER_ENV_NAMES)
                + "(" + "|".join(container_env.RESERVED_ENV_PREFIXES) + ")"},
        REFUSAL_KEYWORD: f"is reserved: {container_env.WHY_RESERVED}",
    })
    env_var["properties"]["valueFrom"]["$ref"] = ref(ENV_VAR_SOURCE)
    env_var["oneOf"] = exactly_one("value", "valueFrom")

    env_var_source = copy.deepcopy(defs[_CORE + "EnvVarSource"])
    env_var_source["oneOf"] = exactly_one("secretKeyRef", "configMapKeyRef")

    volume_mount = copy.deepcopy(defs[_CORE + "VolumeMount"])
    volume_mount["properties"]["mountPath"].update({
        "description": f"A path under {ADDITIONAL_VOLUME_MOUNT_PREFIX}, where Strimzi mounts additional volumes.",
        "pattern": "^" + re.escape(ADDITIONAL_VOLUME_MOUNT_PREFIX),
        REFUSAL_KEYWORD: f"is not under {ADDITIONAL_VOLUME_MOUNT_PREFIX}: Strimzi mounts additional volumes "
                         f"only there",
    })

    empty_dir = copy.deepcopy(defs[_CORE + "EmptyDirVolumeSource"])
    empty_dir["properties"]["medium"] = {
        "description": 'Leave out for the node\'s default storage, or "Memory" for a tmpfs.', "enum": ["Memory"]}
    quantity = _schema("kafka")["$defs"]["QuantityString"]
    empty_dir["properties"]["sizeLimit"] = {"description": "Most the volume may hold, a quantity such as \"1Gi\".",
                                            "type": "string", "pattern": quantity["pattern"],
                                            REFUSAL_KEYWORD: "is not a Kubernetes quantity"}
    return {ENV_VAR: env_var, ENV_VAR_SOURCE: env_var_source, VOLUME_MOUNT: volume_mount, EMPTY_DIR: empty_dir}


def _is_integer(checker, instance) -> bool:
    """Integers only: JSON Schema counts 3.0 as an integer, but kafkac would write it as "3.0"."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def strict_validator_class() -> type[Draft202012Validator]:
    """The Draft 2020-12 validator with integer fields taking integers only."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


def _is_valid(check: Check | None, instance) -> bool:
    """What a validity check says; without one, or where the schema has what schema_validity
    does not know, not known to be valid (jsonschema then decides)."""
    try:
        return check is not None and check(instance)
    except Unsupported:
        return False


@functools.cache
def _kubernetes_registry():
    from referencing import Registry, Resource

    return Registry().with_resource(KUBERNETES_DEFINITIONS_URI, Resource.from_contents(kubernetes_definitions()))


@functools.cache
def kubernetes_validator(definition: str) -> Draft202012Validator:
    """A validator for one Kubernetes definition, built once."""
    return strict_validator_class()({"$ref": f"{KUBERNETES_DEFINITIONS_URI}#/$defs/{definition}"},
                                    registry=_kubernetes_registry())


@functools.cache
def _kubernetes_validity_check(definition: str) -> Check | None:
    reached = _derived().subtree_definitions
    try:
        return compile_check(reached["$defs"][definition], root=reached)
    except (Unsupported, KeyError):
        return None


# --- choosing the schema -------------------------------------------------------------

def _select_schema(document: Document) -> tuple[str | None, list[Finding]]:
    """The schema name for the document's (apiVersion, kind), or the finding that says why there is none."""
    kind, api_version = document.data.get("kind"), document.data.get("apiVersion")

    def refuse(rule: str, field_name: str, message: str, expected: str):
        return None, [error(rule, f"{field_name}: {message}", document.span_of((field_name,)), (field_name,),
                            expected, document.describe())]

    if kind is None or kind == "":
        return refuse("kind.unknown", "kind", "missing, so the document cannot be checked", ACCEPTED_KINDS)
    if isinstance(kind, str) and isinstance(api_version, str) and (api_version, kind) in SCHEMA_NAMES:
        return SCHEMA_NAMES[(api_version, kind)], []
    accepted_versions = sorted(v for v, k in SCHEMA_NAMES if k == kind)
    if accepted_versions:
        problem = "missing" if api_version is None else f"{show(api_version)} is not accepted for {kind}"
        return refuse("api-version.unknown", "apiVersion", problem, " or ".join(accepted_versions))
    if kind == "KafkaMirrorMaker" and _is_strimzi_group(api_version):
        from .mirror_maker1 import refusal_summary

        return refuse("kind.mirror-maker-1", "kind", "KafkaMirrorMaker is MirrorMaker 1, which Kafka 4 removed and "
                      f"Strimzi no longer runs; its successor is {refusal_summary(document.data)}",
                      f"a KafkaMirrorMaker2: `kafkac mirror-maker2 {document.span.file}` prints the equivalent of "
                      "this one (README.md, \"MirrorMaker 2\", gives the mapping)")
    if isinstance(kind, str) and kind in UNSUPPORTED_STRIMZI_KINDS:
        return None, [warning(
            "kind.unsupported", f"kind: {kind} is a Strimzi kind that kafkac does not compile yet, so "
            f"{document.named()} is skipped: it is not in the chart", document.span_of(("kind",)),
            ("kind",), ACCEPTED_KINDS, document.describe())]
    if isinstance(kind, str) and kind and not _is_strimzi_group(api_version):
        # Other objects of the same files (a Namespace, a Secret, another operator's resources)
        # are applied by whoever applies the files; they are not kafkac's to compile.
        return None, [info(
            "kind.skipped", f"kind: {kind}{' ' + document.name if document.name else ''} is not a kind kafkac "
            "compiles, so it is skipped", document.span_of(("kind",)), ("kind",), ACCEPTED_KINDS,
            document.describe())]
    return refuse("kind.unknown", "kind", f"{show(kind)} is not a kind kafkac reads", ACCEPTED_KINDS)


def _is_strimzi_group(api_version) -> bool:
    return isinstance(api_version, str) and api_version.split("/")[0] in ("kafka.strimzi.io", "core.strimzi.io")


@functools.cache
def _schema(name: str) -> dict:
    return json.loads(schema_file(name).read_text(encoding="utf-8"))


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return strict_validator_class()(_schema(name))


@functools.cache
def _validity_check(name: str) -> Check | None:
    try:
        return compile_check(_schema(name))
    except Unsupported:
        return None


def _unique(findings: Iterable[Finding]) -> Iterator[Finding]:
    seen = set()
    for finding in findings:
        key = (finding.span, finding.rule, finding.message, finding.path)
        if key not in seen:
            seen.add(key)
            yield finding


# --- Strimzi's field paths (schemas/strimzi-fields.json) -----------------------------


def _path_tokens(path: FieldPath) -> list[str]:
    return [ANY_ITEM if isinstance(part, int) else part for part in path]


@functools.cache
def _tokens(notation: str) -> tuple[str, ...]:
    tokens = []
    for segment in notation.split("."):
        items = 0
        while segment.endswith(ANY_ITEM):
            segment, items = segment[:-len(ANY_ITEM)], items + 1
        if segment:
            tokens.append(segment)
        tokens.extend([ANY_ITEM] * items)
    return tuple(tokens)


class _FieldNode:
    __slots__ = ("children", "enum")

    def __init__(self):
        self.children: dict[str, _FieldNode] = {}
        self.enum: list | None = None


class StrimziFields:
    """Field paths and enums of Strimzi's API (the kinds kafkac reads), as a tree per kind."""

    def __init__(self, data: dict):
        self.trees: dict[str, _FieldNode] = {}
        for kind, entry in data["kinds"].items():
            tree = self.trees[kind] = _FieldNode()
            for notation in entry["fields"]:
                self._add(tree, notation)
            for notation, values in entry["enums"].items():
                self._add(tree, notation).enum = values

    @staticmethod
    def _add(tree: _FieldNode, notation: str) -> _FieldNode:
        """The node of `notation`, made with its ancestors where missing (the tree is built from
        two thousand notations at every run, so without `_tokens`' cache and its tuples)."""
        node = tree
        for segment in notation.split("."):
            items = 0
            while segment.endswith(ANY_ITEM):
                segment, items = segment[:-len(ANY_ITEM)], items + 1
            for token in ([segment] if segment else []) + [ANY_ITEM] * items:
                child = node.children.get(token)
                if child is None:
                    child = node.children[token] = _FieldNode()
                node = child
        return node

    @staticmethod
    def _node(tree: _FieldNode, tokens: Sequence[str], create: bool = False) -> _FieldNode | None:
        node = tree
        for token in tokens:
            if create:
                node = node.children.setdefault(token, _FieldNode())
                continue
            child = node.children.get(token) or (node.children.get(ANY_KEY) if token != ANY_ITEM else None)
            if child is None:
                return node.children.get(ANY_FIELDS)
            node = child
        return node

    def fields_under(self, kind: str, path: FieldPath) -> list[str]:
        """The field names Strimzi's API has directly under path, sorted."""
        tree = self.trees.get(kind)
        node = self._node(tree, _path_tokens(path)) if tree else None
        return sorted(name for name in (node.children if node else ()) if name not in (ANY_ITEM, ANY_KEY, ANY_FIELDS))

    def knows(self, kind: str, path: FieldPath) -> bool:
        tree = self.trees.get(kind)
        return tree is not None and self._node(tree, _path_tokens(path)) is not None

    def enum(self, kind: str, path: FieldPath) -> list | None:
        tree = self.trees.get(kind)
        node = self._node(tree, _path_tokens(path)) if tree else None
        return node.enum if node else None


def _strimzi_fields() -> StrimziFields:
    return _derived().strimzi_fields


# --- what validate derives from data files, kept between runs ------------------------------

@dataclass(frozen=True)
class _Derived:
    strimzi_fields: StrimziFields
    # The Kubernetes definitions KUBERNETES_SUBTREES reach (narrowed), under `$defs`.
    subtree_definitions: dict


@functools.cache
def _derived() -> _Derived:
    """Strimzi's field tree and the subtrees' Kubernetes definitions: built from 2 MB of JSON, which
    took longer than the rest of validating a cluster, so kept in kafkac's cache (derived_cache)."""
    from .derived_cache import cached

    inputs = (STRIMZI_FIELDS_FILE, KUBERNETES_DEFINITIONS_FILE, schema_file("kafka"), Path(__file__))
    return cached("validate", inputs, _derive)


def _derive() -> _Derived:
    fields = StrimziFields(json.loads(STRIMZI_FIELDS_FILE.read_text(encoding="utf-8")))
    defs = kubernetes_definitions()["$defs"]
    reached = reached_definitions(KUBERNETES_SUBTREES.values(), defs)
    return _Derived(fields, {"$defs": reached})
