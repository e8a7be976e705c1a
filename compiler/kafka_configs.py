"""Kafka's own configuration definitions, and config values checked against them.

`schemas/kafka-config/<major.minor>.json` holds, for each supported Kafka
minor, the definitions its broker and its topics validate configs against:
type, default, validator. They are dumped from the real jars of the newest
supported patch release by `schemas/kafka-config/DumpKafkaConfigs.java`, and
`tests/test_kafka_configs.py` checks that the committed files are exactly what
that program prints (`pytest tests/test_kafka_configs.py --update-golden`
rewrites them).

`check_config` reads each value the way Kafka's ConfigDef would read the text
that ends up in the properties file: booleans in any letter case, integers
within the Java type's range, comma-separated lists, then the option's
validator. A broker key Kafka does not define is only a warning, since plugins
read their own options from the same file; a topic key Kafka does not define is
an error, since brokers refuse it.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .findings import FieldPath, Finding, dotted, error, warning
from .document import Document
from .project_files import SCHEMAS
# The text plan writes into server.properties is the text the broker parses.
from .properties import config_text

DEFINITIONS_DIR = SCHEMAS / "kafka-config"

Kind = Literal["broker", "topic"]

# Kafka hands options under these prefixes (its defaults; each can be renamed by the
# option itself) to the tiered-storage plugins, unread.
_PLUGIN_PREFIX_OPTIONS = ("remote.log.metadata.manager.impl.prefix",
                          "remote.log.storage.manager.impl.prefix")
# Options a listener can override for itself: listener.name.<listener>.<option>.
_LISTENER_PREFIXED = re.compile(r"^listener\.name\.[^.]+\.(.+)$")

_JAVA_INTEGERS = {
    "SHORT": ("16-bit integer", -2 ** 15, 2 ** 15 - 1),
    "INT": ("32-bit integer", -2 ** 31, 2 ** 31 - 1),
    "LONG": ("64-bit integer", -2 ** 63, 2 ** 63 - 1),
}
# Integer.parseInt and friends: an optional sign, then digits.
_JAVA_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# Double.parseDouble: decimal or hexadecimal, an optional f/d suffix, NaN, Infinity.
_JAVA_DOUBLE = re.compile(
    r"^[+-]?(?:NaN|Infinity"
    r"|(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?|[0-9a-fA-F]*\.[0-9a-fA-F]+)[pP][+-]?[0-9]+)[fFdD]?)$")
# ConfigDef splits lists on commas with Java's \s around them.
_LIST_SEPARATOR = re.compile(r"[ \t\n\x0b\f\r]*,[ \t\n\x0b\f\r]*")
_JAVA_CLASS_NAME = re.compile(r"^[^\W\d][\w$]*(?:\.[^\W\d][\w$]*)*$")


@dataclass(frozen=True)
class Validator:
    """One of ConfigDef's validators, as the dump describes it."""

    kind: str  # range, one-of, one-of-case-insensitive, list-of, non-empty-string..., other
    minimum: int | float | None = None
    maximum: int | float | None = None
    values: tuple[str, ...] = ()
    empty_allowed: bool = True
    duplicates_allowed: bool = True
    empty_items_allowed: bool = True
    text: str | None = None

    @classmethod
    def from_json(cls, raw: dict) -> Validator:
        return cls(kind=raw["kind"], minimum=raw.get("min"), maximum=raw.get("max"),
                   values=tuple(raw.get("values", ())),
                   empty_allowed=raw.get("empty_allowed", True),
                   duplicates_allowed=raw.get("duplicates_allowed", True),
                   empty_items_allowed=raw.get("empty_items_allowed", True),
                   text=raw.get("text"))


@dataclass(frozen=True)
class ConfigKey:
    """One option as Kafka defines it."""

    name: str
    type: str  # BOOLEAN, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD
    default: str | None
    required: bool
    internal: bool
    validator: Validator | None
    dynamic: str | None = None  # brokers: read-only, per-broker or cluster-wide
    broker_synonym: str | None = None  # topics: the broker option that gives the default

    @classmethod
    def from_json(cls, name: str, raw: dict) -> ConfigKey:
        validator = raw.get("validator")
        return cls(name=name, type=raw["type"], default=raw.get("default"),
                   required=raw.get("required", False), internal=raw.get("internal", False),
                   validator=Validator.from_json(validator) if validator else None,
                   dynamic=raw.get("dynamic"), broker_synonym=raw.get("broker_synonym"))


@dataclass(frozen=True)
class KafkaConfigs:
    """The broker and topic options of one Kafka minor release."""

    kafka_version: str  # the release they were dumped from, e.g. 4.3.1
    broker: dict[str, ConfigKey]
    topic: dict[str, ConfigKey]

    @property
    def minor(self) -> str:
        return minor_version(self.kafka_version)

    def options(self, kind: Kind) -> dict[str, ConfigKey]:
        return self.broker if kind == "broker" else self.topic


def minor_version(version: str) -> str:
    """`4.3.1` -> `4.3`."""
    return ".".join(version.split(".")[:2])


def definitions_file(version: str) -> Path:
    return DEFINITIONS_DIR / f"{minor_version(version)}.json"


def for_version(version: str) -> KafkaConfigs:
    """The definitions for `version` (any patch release of a supported minor)."""
    return _load_minor(minor_version(version))


@functools.lru_cache(maxsize=None)
def _load_minor(minor: str) -> KafkaConfigs:
    raw = json.loads(definitions_file(minor).read_text(encoding="utf-8"))
    return KafkaConfigs(
        kafka_version=raw["kafka_version"],
        broker={name: ConfigKey.from_json(name, entry) for name, entry in raw["broker"].items()},
        topic={name: ConfigKey.from_json(name, entry) for name, entry in raw["topic"].items()},
    )


def check_config(values: dict, kind: Kind, version: str, doc: Document,
                 path_prefix: FieldPath) -> list[Finding]:
    """Findings for each of `values` that Kafka `version` would refuse or does not know.

    `path_prefix` is where `values` sit in `doc` (`("spec", "kafka", "config")`);
    keys that kafkac reserves for itself should be left out by the caller.
    """
    configs = for_version(version)
    options = configs.options(kind)
    findings = []
    for key, value in values.items():
        path = tuple(path_prefix) + (key,)
        option = _option(options, key, kind)
        if option is None:
            if not _handed_to_plugin(key, kind, options, values):
                findings.append(_unknown(doc, path, key, kind, configs.minor, options))
            continue
        problem = check_value(option, value)
        if problem is not None:
            rule, reason, expected = problem
            findings.append(error(rule, f"{dotted(path)}: Kafka {configs.minor} refuses "
                                  f"{_shown(value)}: {reason}", doc.span_of(path), path, expected))
    return findings


def check_value(option: ConfigKey, value) -> tuple[str, str, str] | None:
    """(rule, reason, expected) when Kafka would refuse `value` for `option`, else None."""
    if isinstance(value, (dict, list)) or value is None:
        return ("config.type", "not a string, number or boolean",
                f"{_accepted(option)}, as a string, number or boolean")
    text = config_text(value)
    trimmed = _java_trim(text)
    kind = option.type
    if kind == "BOOLEAN":
        if trimmed.lower() not in ("true", "false"):
            return ("config.type", "not a boolean", _accepted(option))
        return None
    if kind in _JAVA_INTEGERS:
        name, low, high = _JAVA_INTEGERS[kind]
        if not _JAVA_INTEGER.match(trimmed):
            return ("config.type", f"not a whole number (the option is a {name})",
                    _accepted(option))
        number = int(trimmed)
        if not low <= number <= high:
            return ("config.range", f"out of the range of a {name}", _accepted(option))
        return _check_validator(option, number)
    if kind == "DOUBLE":
        if not _JAVA_DOUBLE.match(trimmed):
            return ("config.type", "not a number", _accepted(option))
        return _check_validator(option, _java_double(trimmed))
    if kind == "LIST":
        items = [] if not trimmed else _LIST_SEPARATOR.split(trimmed)
        return _check_validator(option, items)
    if kind == "CLASS":
        # A YAML boolean would pass for a class named `true`; no class is meant by it.
        if isinstance(value, bool) or not _JAVA_CLASS_NAME.match(trimmed):
            return ("config.type", "not a Java class name", _accepted(option))
        return None
    if kind == "STRING":
        return _check_validator(option, trimmed)
    return None  # PASSWORD: any text


def _check_validator(option: ConfigKey, parsed) -> tuple[str, str, str] | None:
    validator = option.validator
    if validator is None:
        return None
    kind = validator.kind
    if kind == "range":
        # Range compares as doubles, whatever the option's type.
        if validator.minimum is not None and float(parsed) < float(validator.minimum):
            return ("config.range", f"less than the minimum of {_number(validator.minimum)}",
                    _accepted(option))
        if validator.maximum is not None and float(parsed) > float(validator.maximum):
            return ("config.range", f"more than the maximum of {_number(validator.maximum)}",
                    _accepted(option))
    elif kind == "one-of":
        if parsed not in validator.values:
            return ("config.value", "not one of its values"
                    f"{_did_you_mean(parsed, validator.values)}", _accepted(option))
    elif kind == "one-of-case-insensitive":
        if parsed.upper() not in validator.values:
            return ("config.value", "not one of its values"
                    f"{_did_you_mean(parsed.upper(), validator.values)}", _accepted(option))
    elif kind == "list-of":
        return _check_list(option, validator, parsed)
    elif kind == "non-empty-string":
        if parsed == "":
            return ("config.value", "it cannot be empty", _accepted(option))
    elif kind == "non-empty-string-without-control-chars":
        if parsed == "" or any(_is_iso_control(c) for c in parsed):
            return ("config.value", "it cannot be empty or hold control characters",
                    _accepted(option))
    return None


def _check_list(option: ConfigKey, validator: Validator, items: list[str]):
    if not items and not validator.empty_allowed:
        return ("config.value", "the list cannot be empty", _accepted(option))
    if not validator.duplicates_allowed and len(set(items)) != len(items):
        repeated = next(item for i, item in enumerate(items) if item in items[:i])
        return ("config.value", f"{repeated!r} is listed more than once", _accepted(option))
    if not validator.empty_items_allowed and "" in items:
        return ("config.value", "the list has an empty item (two commas in a row, or one at "
                "either end)", _accepted(option))
    if validator.values:
        for item in items:
            if item not in validator.values:
                return ("config.value", f"{item!r} is not one of its values"
                        f"{_did_you_mean(item, validator.values)}", _accepted(option))
    return None


def _accepted(option: ConfigKey) -> str:
    """What `option` takes, in words, for a finding's `expected`."""
    validator = option.validator
    kind = option.type
    if kind == "BOOLEAN":
        return "true or false (in any letter case)"
    if kind in _JAVA_INTEGERS or kind == "DOUBLE":
        if kind == "DOUBLE":
            what, low, high = "a number", None, None
        else:
            _, low, high = _JAVA_INTEGERS[kind]
            what = "a whole number"
        if validator is not None and validator.kind == "range":
            low = validator.minimum if validator.minimum is not None else low
            high = validator.maximum if validator.maximum is not None else high
        if low is not None and high is not None:
            return f"{what} from {_number(low)} to {_number(high)}"
        if low is not None:
            return f"{what} of at least {_number(low)}"
        if high is not None:
            return f"{what} of at most {_number(high)}"
        return what
    if kind == "LIST":
        text = "a comma-separated list"
        if validator is not None and validator.kind == "list-of":
            if validator.values:
                text += " of " + ", ".join(validator.values)
            rules = [rule for rule, holds in (
                ("at least one item", not validator.empty_allowed),
                ("no item twice", not validator.duplicates_allowed),
                ("no empty item", not validator.empty_items_allowed)) if holds]
            if rules:
                text += " (" + ", ".join(rules) + ")"
        return text
    if kind == "CLASS":
        return "the name of a Java class on the broker's class path, such as org.example.MyClass"
    if validator is not None and validator.kind == "one-of":
        return "one of " + ", ".join(validator.values)
    if validator is not None and validator.kind == "one-of-case-insensitive":
        return "one of " + ", ".join(validator.values) + " (in any letter case)"
    if validator is not None and validator.kind.startswith("non-empty-string"):
        return "a non-empty string" + (" without control characters"
                                       if validator.kind.endswith("control-chars") else "")
    return "a string"


def _option(options: dict[str, ConfigKey], key: str, kind: Kind) -> ConfigKey | None:
    if key in options:
        return options[key]
    if kind == "broker":
        match = _LISTENER_PREFIXED.match(key)
        if match and match.group(1) in options:
            return options[match.group(1)]
    return None


def _handed_to_plugin(key: str, kind: Kind, options: dict[str, ConfigKey], values: dict) -> bool:
    """Whether the broker passes `key` to a tiered-storage plugin by its prefix."""
    if kind != "broker":
        return False
    for name in _PLUGIN_PREFIX_OPTIONS:
        option = options.get(name)
        prefix = values.get(name, option.default if option else None)
        if isinstance(prefix, str) and prefix and key.startswith(prefix):
            return True
    return False


def _unknown(doc: Document, path: FieldPath, key: str, kind: Kind, minor: str,
             options: dict[str, ConfigKey]) -> Finding:
    suggestion = difflib.get_close_matches(key.lower(), options, n=1, cutoff=0.8)
    hint = f" (did you mean {suggestion[0]!r}?)" if suggestion else ""
    if kind == "topic":  # brokers refuse a topic option they do not define
        return error("config.unknown", f"{dotted(path)}: not a topic option of Kafka {minor}{hint}, "
                     "so Kafka would refuse the topic", doc.span_of(path, key=True), path,
                     suggestion[0] if suggestion else f"a topic option of Kafka {minor}")
    expected = (suggestion[0] if suggestion
                else f"a {kind} option of Kafka {minor}, or one that a plugin of the cluster reads")
    return warning("config.unknown", f"{dotted(path)}: not a {kind} option of Kafka {minor}{hint}; "
                   "kept as given, e.g. for a plugin",
                   doc.span_of(path, key=True), path, expected)


def _did_you_mean(value: str, choices) -> str:
    suggestion = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {suggestion[0]!r}?)" if suggestion else ""


_JAVA_TRIMMED = "".join(chr(c) for c in range(0x21))


def _java_trim(text: str) -> str:
    """String.trim(): drops every character up to U+0020 at either end."""
    return text.strip(_JAVA_TRIMMED)


def _java_double(text: str) -> float:
    text = text.rstrip("fFdD") if not text.endswith("Infinity") else text
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "NaN":
        return math.nan
    if body == "Infinity":
        return sign * math.inf
    if body[:2] in ("0x", "0X"):
        return sign * float.fromhex(body)
    return sign * float(body)


def _is_iso_control(char: str) -> bool:
    return ord(char) <= 0x1F or 0x7F <= ord(char) <= 0x9F


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 63:
        return str(int(value))
    return str(value)


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return config_text(value)
    return repr(value) if isinstance(value, str) else str(value)
