"""What the Kubernetes API server does to a custom resource before it stores it, so that a spec
means what it would mean applied:

- a field written with no value (`affinity:`, `advertisedHost:`) is dropped, so it means what
  leaving it out means. Strimzi's CRDs mark no field nullable, so this holds for every field of
  its resources;
- what the API server itself writes on a live object, which `kubectl get -o yaml` exports with
  the spec, is dropped with a note: `status` (a subresource of every Strimzi kind: a create or
  update ignores it), and the metadata it sets on create whatever was sent (`uid`,
  `resourceVersion`, `generation`, `creationTimestamp`, `managedFields`, `selfLink`), and
  Strimzi's own finalizers, which only its operator acts on and removes.

An object being deleted (`deletionTimestamp`, `deletionGracePeriodSeconds`) is not dropped: it
is a cluster on its way out, not a spec to deploy, and validate refuses it. Part of the
validate stage: it runs on the documents as loaded, before convert and the schema.
"""

from __future__ import annotations

from dataclasses import replace

from .findings import FieldPath, Finding, dotted, info
from .document import Document, Documents

STRIMZI_GROUPS = ("kafka.strimzi.io", "core.strimzi.io")
# Metadata the API server sets on create, whatever the object sent: a spec never means it.
SERVER_SET_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
# Metadata of an object being deleted: refused (validate), never dropped.
DELETION_METADATA = ("deletionTimestamp", "deletionGracePeriodSeconds")
# Finalizers of Strimzi's operators (the Topic Operator's `strimzi.io/topic-operator`): the
# operator removes them once it has cleaned up; kafkac runs no operator.
STRIMZI_FINALIZER_PREFIX = "strimzi.io/"


def as_applied(documents: Documents) -> Documents:
    """The documents as the API server would store them if applied: null fields and what a live
    object carries besides its spec dropped, with a note for the latter."""
    return without_server_written(without_nulls(documents))


def without_nulls(documents: Documents) -> Documents:
    """The documents, with null fields of Strimzi's resources dropped (other kinds as they are).
    A document without any is kept as it is, not copied."""
    return Documents([_pruned(d) if _is_strimzi(d) and _has_null(d.data) else d for d in documents.documents],
                     list(documents.findings))


def without_server_written(documents: Documents) -> Documents:
    """The documents, with what the API server wrote on a live object dropped from the ones kafkac
    reads (Strimzi's resources and ConfigMaps), and an `input.server-written` note for each
    document that had some, at the first such field. A document without any is kept as it is."""
    kept: list[Document] = []
    findings = list(documents.findings)
    for document in documents.documents:
        fields = _server_written(document) if _is_strimzi(document) or _is_config_map(document) else []
        if not fields:
            kept.append(document)
            continue
        kept.append(_without(document, fields))
        # `creationTimestamp: null`, as `kubectl create --dry-run=client -o yaml` writes it, says nothing
        written = [path for path in fields if document.get(*path) is not None]
        if written:
            findings.append(_note(document, written))
    return Documents(kept, findings)


def _strimzi_finalizers_only(finalizers) -> bool:
    """Whether a `metadata.finalizers` value holds only Strimzi's own finalizers (or none)."""
    return isinstance(finalizers, list) and all(
        isinstance(f, str) and f.startswith(STRIMZI_FINALIZER_PREFIX) for f in finalizers)


def _server_written(document: Document) -> list[FieldPath]:
    """The paths of the fields to drop, in the order of the file."""
    data = document.data
    paths: list[FieldPath] = [("status",)] if "status" in data else []
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        paths += [("metadata", key) for key in SERVER_SET_METADATA if key in metadata]
        if "finalizers" in metadata and _strimzi_finalizers_only(metadata["finalizers"]):
            paths.append(("metadata", "finalizers"))
    return sorted(paths, key=lambda path: _order(document.span_of(path, key=True)))


def _order(span) -> tuple[int, int]:
    return span.line, span.col


def _without(document: Document, paths: list[FieldPath]) -> Document:
    data = dict(document.data)
    metadata_keys = {path[1] for path in paths if path[0] == "metadata"}
    if ("status",) in paths:
        del data["status"]
    if metadata_keys:
        data["metadata"] = {key: value for key, value in data["metadata"].items() if key not in metadata_keys}
    return replace(document, data=data)


def _note(document: Document, paths: list[FieldPath]) -> Finding:
    first, rest = paths[0], [dotted(path) for path in paths[1:]]
    them = "them" if rest else "it"
    server = []
    if any(path[0] == "metadata" and path[1] in SERVER_SET_METADATA for path in paths):
        server.append(f"sets {'the metadata' if rest else 'it'} itself")
    if ("status",) in paths:
        server.append("ignores status when a resource is applied")
    reasons = [f"the API server {' and '.join(server)}"] if server else []
    finalizers = document.get("metadata", "finalizers", default=[])
    if ("metadata", "finalizers") in paths and finalizers:
        reasons.append(f"the finalizers {_and(finalizers)} are Strimzi's operator's, with no meaning without it")
    elif ("metadata", "finalizers") in paths:
        reasons.append("metadata.finalizers lists none")
    message = (f"{dotted(first)}: written on a live object (exported with kubectl get -o yaml?)"
               f"{', as are ' + _and(rest) if rest else ''}, not part of a spec: {'; '.join(reasons)}; "
               f"kafkac ignores {them}")
    return info("input.server-written", message, document.span_of(first, key=True), first,
                f"the spec without {them} (kafkac reads it the same)", document.describe())


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _has_null(node) -> bool:
    if isinstance(node, dict):
        return any(value is None or _has_null(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_null(item) for item in node)
    return False


def _is_strimzi(document: Document) -> bool:
    return isinstance(document.data, dict) and document.api_version.split("/")[0] in STRIMZI_GROUPS


def _is_config_map(document: Document) -> bool:
    return isinstance(document.data, dict) and document.api_version == "v1" and document.kind == "ConfigMap"


def _pruned(document: Document) -> Document:
    return replace(document, data=_drop_nulls(document.data))


def _drop_nulls(node):
    if isinstance(node, dict):
        return {key: _drop_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_drop_nulls(item) for item in node]
    return node
