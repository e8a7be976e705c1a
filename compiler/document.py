"""A YAML document as kafkac reads it: its data and the source position of every node.

Stage 1 (load.py) makes them; every later stage reads specs through them, so
that each finding can name the file, line and column of the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import FieldPath, Finding, Span


@dataclass
class Document:
    """One YAML document: its data and where each of its nodes came from."""

    file: str
    index: int
    data: object
    spans: dict[FieldPath, Span] = field(default_factory=dict)
    key_spans: dict[FieldPath, Span] = field(default_factory=dict)

    @property
    def span(self) -> Span:
        return self.spans.get((), Span(self.file, 1, 1))

    def span_of(self, path: FieldPath, key: bool = False) -> Span:
        """Span of the node at `path` (of its key, if asked), else of its nearest ancestor."""
        path = tuple(path)
        if key and path in self.key_spans:
            return self.key_spans[path]
        while path and path not in self.spans:
            path = path[:-1]
        return self.spans.get(path, self.span)

    def get(self, *path, default=None):
        node = self.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return default
            if node is None:
                return default
        return node

    # kind, api_version and name are what get() gives, read directly: every stage asks them of
    # every document, hundreds of thousands of times for ten thousand topics.
    @property
    def kind(self) -> str:
        value = self.data.get("kind") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        metadata = self.data.get("metadata") if isinstance(self.data, dict) else None
        value = metadata.get("name") if isinstance(metadata, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def labels(self) -> dict:
        value = self.get("metadata", "labels", default={})
        return value if isinstance(value, dict) else {}

    @property
    def annotations(self) -> dict:
        value = self.get("metadata", "annotations", default={})
        return value if isinstance(value, dict) else {}

    def named(self) -> str:
        """How a message names the resource: `Kafka my-cluster`, or `a Kafka without a name`."""
        kind = self.kind or "document"
        return f"{kind} {self.name}" if self.name else f"a {kind} without a name"

    def describe(self) -> str:
        return f"{self.kind or 'document'}/{self.name or '?'}"


@dataclass
class Documents:
    documents: list[Document]
    findings: list[Finding]
