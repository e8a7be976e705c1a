"""References between the definitions of a JSON Schema (`#/$defs/<name>`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

LOCAL_PREFIX = "#/$defs/"


def local_references(node) -> Iterator[str]:
    """The names of the `#/$defs/<name>` references under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(LOCAL_PREFIX):
                yield value[len(LOCAL_PREFIX):]
            else:
                yield from local_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from local_references(item)


def reached_definitions(names: Iterable[str], definitions: dict) -> dict[str, dict]:
    """The definitions named, and those they reach through local references, transitively; a name
    that `definitions` lacks is left out."""
    reached: dict[str, dict] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in reached and name in definitions:
            reached[name] = definitions[name]
            pending.extend(local_references(definitions[name]))
    return reached
