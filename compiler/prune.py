"""What the Kubernetes API server does to a custom resource before it stores it: a field
written with no value (`affinity:`, `advertisedHost:`) is dropped, so it means what leaving
it out means. Strimzi's CRDs mark no field nullable, so this holds for every field of its
resources. Part of the validate stage: it runs on the documents as loaded, before the schema.
"""

from __future__ import annotations

from dataclasses import replace

from .load import Document, Documents

STRIMZI_GROUPS = ("kafka.strimzi.io", "core.strimzi.io")


def without_nulls(documents: Documents) -> Documents:
    """The documents, with null fields of Strimzi's resources dropped (other kinds as they are).
    A document without any is kept as it is, not copied."""
    return Documents([_pruned(d) if _is_strimzi(d) and _has_null(d.data) else d for d in documents.documents],
                     list(documents.findings))


def _has_null(node) -> bool:
    if isinstance(node, dict):
        return any(value is None or _has_null(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_null(item) for item in node)
    return False


def _is_strimzi(document: Document) -> bool:
    return isinstance(document.data, dict) and document.api_version.split("/")[0] in STRIMZI_GROUPS


def _pruned(document: Document) -> Document:
    return replace(document, data=_drop_nulls(document.data))


def _drop_nulls(node):
    if isinstance(node, dict):
        return {key: _drop_nulls(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_drop_nulls(item) for item in node]
    return node
