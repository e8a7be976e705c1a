"""Rendered manifests read as data, as the API server reads them.

helm's output is read with libyaml (when PyYAML has it) and YAML 1.1's rules, as Go's YAML
reader behind Kubernetes reads it, except that a date stays the text it is (Kubernetes
has no date type, and JSON none either). No source positions: a finding on a rendered
manifest names its template, not a line of helm's output. For specs, which users write,
kafkac's strict loader (load.py) is the reader.
"""

from __future__ import annotations

import yaml

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class ManifestLoader(_BASE):
    yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BASE.yaml_implicit_resolvers.items()}


def manifests(text: str) -> list:
    """The documents of a YAML stream, empty ones left out."""
    return [document for document in yaml.load_all(text, Loader=ManifestLoader) if document is not None]
