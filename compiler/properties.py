"""Java properties text: how kafkac writes a config value so Kafka reads it back unchanged."""

from __future__ import annotations

import re


def config_text(value) -> str:
    """A config value as Kafka reads it: booleans in lower case, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return getattr(value, "text", repr(value))
    return str(value)


def escape_key(key: str) -> str:
    return re.sub(r"([\\:= #!])", r"\\\1", key)


def escape_value(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    if escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped
