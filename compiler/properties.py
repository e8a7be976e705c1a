"""Java properties text: how kafkac writes a config value so Kafka reads it back unchanged.

Kafka and log4j2 read properties files with `java.util.Properties.load`, where a
line break ends an entry and starts the next. Every key and value is escaped so
that it is exactly one line, whatever the spec holds: a key can never carry a
second, unchecked option into the file. Characters outside printable ASCII are
written as `\\uXXXX`, which `Properties.load` reads back whatever the file's
encoding, and which keeps the text one line for YAML readers too (U+2028, U+0085).
"""

from __future__ import annotations

import re

_SPECIAL = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
_KEY_SPECIAL = re.compile(r"[\\:= #!\n\r\t\f]|[^\x20-\x7e]")
_VALUE_SPECIAL = re.compile(r"[\\\n\r\t\f]|[^\x20-\x7e]")


class PropertiesLineError(ValueError):
    """A properties entry that would not be exactly one line (a bug: the escaping prevents it)."""


def config_text(value) -> str:
    """A config value as Kafka reads it: booleans in lower case, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return getattr(value, "text", repr(value))
    return str(value)


def _escape_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    if " " <= char <= "~":
        return "\\" + char
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(char))


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def escape_key(key: str) -> str:
    return _KEY_SPECIAL.sub(lambda m: _escape_char(m[0]), key)


def escape_value(value: str) -> str:
    escaped = _VALUE_SPECIAL.sub(lambda m: _escape_char(m[0]), value)
    if escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped


def property_line(key: str, value: str) -> str:
    """`key=value` escaped, checked to be one line of printable ASCII: the entry Kafka reads."""
    line = f"{escape_key(key)}={escape_value(value)}"
    if not line.isascii() or not line.isprintable():
        raise PropertiesLineError(f"properties entry for {key!r} is not one line")
    return line


def properties_text(entries) -> str:
    """A properties file of `(key, value)` entries, one line each, in order.

    Each line is checked to read back as its own key, so that what a check saw
    in the spec (the reserved options, for one) is exactly what Kafka reads.
    """
    lines = []
    for key, value in entries:
        line = property_line(key, value)
        if _key_of(line) != key:
            raise PropertiesLineError(f"properties entry for {key!r} reads back as another key")
        lines.append(line + "\n")
    return "".join(lines)


_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}


def _key_of(line: str) -> str:
    """The key java.util.Properties reads from one line that kafkac wrote."""
    units, index = [], 0
    while index < len(line) and line[index] not in "=: \t\f":
        if line[index] == "\\" and index + 1 < len(line):
            following = line[index + 1]
            if following == "u":
                units.append(chr(int(line[index + 2:index + 6], 16)))
                index += 6
                continue
            units.append(_UNESCAPE.get(following, following))
            index += 2
            continue
        units.append(line[index])
        index += 1
    return "".join(units).encode("utf-16", "surrogatepass").decode("utf-16")
