"""Kubernetes' own syntax rules for what a spec puts into object metadata.

The API server refuses a label key that is not a qualified name, a label value
longer than 63 characters, a Service whose name is not a DNS-1035 label, a pod
whose host name is longer than 63 characters, and more; kubeconform does not
check these, so without this module they would surface only at `helm install`.
The rules are those of Kubernetes' apimachinery validation (IsQualifiedName,
IsValidLabelValue, IsDNS1123Label, IsDNS1035Label, ValidateAnnotations), checked
at validate time with the spec's positions, including the names kafkac builds
from the spec's names (`<cluster>-<pool>-<node id>`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .findings import FieldPath, Finding, dotted, error, warning
from .document import Document

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63
ANNOTATIONS_MAX_BYTES = 256 * 1024  # all keys and values of one object's annotations
# A StatefulSet labels its pods `controller-revision-hash: <name>-<10 characters>`, a label
# value, so its name has room for at most 63 - 11 characters.
STATEFULSET_NAME_MAX = DNS1123_LABEL_MAX - 11

_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NOT_QUALIFIED_NAME_CHARACTERS = ("holds characters other than letters, digits, '-', '_' and '.', or does not start "
                                  "and end with a letter or digit")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Mappings that Kubernetes reads as labels (keys and values) or annotations (keys only).
LABEL_MAPPINGS = frozenset({"labels", "matchLabels"})
ANNOTATION_MAPPINGS = frozenset({"annotations"})

QUALIFIED_NAME_WORDS = (f"a qualified name: an optional DNS subdomain prefix and '/', then at most "
                        f"{QUALIFIED_NAME_MAX} letters, digits, '-', '_' or '.', starting and ending with a "
                        "letter or digit (e.g. app.kubernetes.io/name)")
LABEL_VALUE_WORDS = (f"empty, or at most {LABEL_VALUE_MAX} letters, digits, '-', '_' or '.', starting and "
                     "ending with a letter or digit")


def qualified_name_problem(key: str) -> str | None:
    """Why `key` is not a Kubernetes qualified name (a label or annotation key), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash:
        if not prefix:
            return "has an empty prefix before '/'"
        if len(prefix) > DNS1123_SUBDOMAIN_MAX or not _DNS1123_SUBDOMAIN.match(prefix):
            return f"has a prefix {prefix!r} that is not a DNS subdomain (lower case, at most 253 characters)"
    if not name:
        return "has an empty name"
    if len(name) > QUALIFIED_NAME_MAX:
        return f"has a name of {len(name)} characters, more than {QUALIFIED_NAME_MAX}"
    if not _QUALIFIED_NAME.match(name):
        return _NOT_QUALIFIED_NAME_CHARACTERS
    return None


def label_value_problem(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > LABEL_VALUE_MAX:
        return f"is {len(value)} characters long, more than {LABEL_VALUE_MAX}"
    if not _QUALIFIED_NAME.match(value):
        return _NOT_QUALIFIED_NAME_CHARACTERS
    return None


def dns_label_problem(name: str, max_length: int = DNS1123_LABEL_MAX, start_letter: bool = False) -> str | None:
    if len(name) > max_length:
        return f"is {len(name)} characters long, more than {max_length}"
    if not _DNS1123_LABEL.match(name):
        return "is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a " \
               "letter or digit)"
    if start_letter and not name[0].isalpha():
        return "starts with a digit, which a Service name (a DNS-1035 label) cannot"
    return None


def check_document(document: Document) -> list[Finding]:
    """Label and annotation syntax in every metadata-like mapping of one document."""
    findings: list[Finding] = []
    if not isinstance(document.data, dict):
        return findings
    strimzi_resource = str(document.data.get("apiVersion", "")).startswith("kafka.strimzi.io/")
    for path, kind, mapping in _metadata_mappings(document.data, ()):
        if kind == "labels":
            findings.extend(_check_labels(document, path, mapping))
            if path[0] == "spec" and path[-1] == "labels" and strimzi_resource:
                findings.extend(_check_added_labels(document, path, mapping))
        else:
            findings.extend(_check_annotations(document, path, mapping))
    return findings


def _metadata_mappings(node, path: FieldPath) -> Iterator[tuple[FieldPath, str, dict]]:
    if isinstance(node, dict):
        for key, child in node.items():
            child_path = path + (key,)
            if isinstance(child, dict) and key in LABEL_MAPPINGS and _is_string_map(child):
                yield child_path, "labels", child
            elif isinstance(child, dict) and key in ANNOTATION_MAPPINGS and _is_string_map(child):
                yield child_path, "annotations", child
            else:
                yield from _metadata_mappings(child, child_path)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _metadata_mappings(item, path + (index,))


def _is_string_map(mapping: dict) -> bool:
    return all(isinstance(value, str) for value in mapping.values())


def _check_labels(document: Document, path: FieldPath, labels: dict) -> Iterator[Finding]:
    for key, value in labels.items():
        problem = qualified_name_problem(key)
        if problem:
            yield _finding(document, "kubernetes.label-key", path + (key,), f"label key {key!r} {problem}",
                           QUALIFIED_NAME_WORDS, key=True)
        problem = label_value_problem(value)
        if problem:
            yield _finding(document, "kubernetes.label-value", path + (key,),
                           f"label value {_short(value)} {problem}", LABEL_VALUE_WORDS)


def _check_added_labels(document: Document, path: FieldPath, labels: dict) -> Iterator[Finding]:
    """Labels that a template section or a listener adds: the strimzi.io/ ones are the chart's own
    (its selectors use them; Strimzi refuses them in a custom resource, strimzi.io/cluster aside),
    and Strimzi drops app.kubernetes.io/ ones but part-of, as the planner does."""
    for key in labels:
        if key.startswith("strimzi.io/") and key != "strimzi.io/cluster":
            yield _finding(document, "kubernetes.reserved-label", path + (key,),
                           f"label {key!r}: labels under strimzi.io/ are the chart's own (its selectors use "
                           "them), and Strimzi refuses them in a custom resource; remove it",
                           "a label outside strimzi.io/", key=True)
        elif key == "strimzi.io/cluster" or (key.startswith("app.kubernetes.io/")
                                              and key != "app.kubernetes.io/part-of"):
            yield warning("kubernetes.dropped-label",
                          f"{dotted(path + (key,))}: label {key!r} is left out, as Strimzi leaves it out: the "
                          "chart sets it itself", document.span_of(path + (key,), key=True), path + (key,),
                          "a label outside strimzi.io/ and app.kubernetes.io/ (app.kubernetes.io/part-of is kept)",
                          document.describe())


def _check_annotations(document: Document, path: FieldPath, annotations: dict) -> Iterator[Finding]:
    for key in annotations:
        problem = qualified_name_problem(key)
        if problem:
            yield _finding(document, "kubernetes.annotation-key", path + (key,),
                           f"annotation key {key!r} {problem}", QUALIFIED_NAME_WORDS, key=True)
    size = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        yield _finding(document, "kubernetes.annotations-size", path,
                       f"annotations take {size} bytes, more than Kubernetes' {ANNOTATIONS_MAX_BYTES}",
                       f"at most {ANNOTATIONS_MAX_BYTES} bytes of keys and values")


def _short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:39] + "…")


def _finding(document: Document, rule: str, path: FieldPath, message: str, expected: str,
             key: bool = False) -> Finding:
    return error(rule, f"{dotted(path)}: {message}", document.span_of(path, key=key), path, expected,
                 document.describe())


# --- names kafkac builds from the spec's names -----------------------------------------------

def check_model(model) -> list[Finding]:
    """Names of the objects kafkac writes, built from the cluster's, pools' and listeners' names."""
    findings: list[Finding] = []
    for cluster in model.clusters:
        findings.extend(_cluster_names(cluster))
    return findings


def _cluster_names(cluster) -> Iterator[Finding]:
    document = cluster.document
    name_path = ("metadata", "name")
    problem = dns_label_problem(cluster.name, start_letter=True)
    if problem:
        yield _finding(document, "kubernetes.name", name_path,
                       f"the cluster name {cluster.name!r} names Services (<name>-kafka-bootstrap), and {problem}",
                       "a name starting with a lower-case letter")
    for suffix in ("-kafka-bootstrap", "-kafka-brokers"):
        yield from _too_long(document, name_path, f"{cluster.name}{suffix}", "Service")
    for listener in cluster.listeners:
        yield from _too_long(document, name_path, f"{cluster.name}-kafka-{listener.name}-bootstrap", "Service")
    for pool in cluster.pools:
        pool_path = ("metadata", "name")
        last_id = pool.first_node_id + max(pool.replicas - 1, 0)
        yield from _too_long(pool.document, pool_path, f"{cluster.name}-{pool.name}", "StatefulSet",
                             STATEFULSET_NAME_MAX, "its pods' controller-revision-hash label")
        yield from _too_long(pool.document, pool_path, f"{cluster.name}-{pool.name}-{last_id}",
                             "pod (its host name)")
        for listener in cluster.listeners:
            if listener.has_own_services:
                yield from _too_long(pool.document, pool_path,
                                     f"{cluster.name}-{pool.name}-{listener.name}-{last_id}", "Service")


def _too_long(document: Document, path: FieldPath, name: str, what: str, limit: int = DNS1123_LABEL_MAX,
              why: str = "a DNS-1123 label") -> Iterator[Finding]:
    if len(name) > limit:
        yield _finding(document, "kubernetes.name-length", path,
                       f"gives the {what} name {name!r}, {len(name)} characters long, more than the {limit} "
                       f"that {why} allows",
                       f"shorter cluster, pool or listener names, so that the {what} name has at most {limit} "
                       "characters")
