"""The deterministic YAML writer's scalars and keys: text every YAML reader reads back exactly.

Strings are always quoted, so no YAML reader (Helm's is YAML 1.1) can turn a
user's `on` or `0755` into something else. emit writes values.yaml with them,
`kafkac topics pull` its KafkaTopics.
"""

from __future__ import annotations

import json
import re

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
_YAML_RESERVED_WORDS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~)$")


def yaml_key(key: str) -> str:
    if _PLAIN_KEY.match(key) and not _YAML_RESERVED_WORDS.match(key):
        return key
    return json.dumps(key)


def scalar(value) -> str:
    """A YAML scalar that every YAML reader reads back as exactly `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return getattr(value, "text", repr(value))
    return json.dumps(str(value), ensure_ascii=False)
