"""Turn the jsonschema errors of one document into positioned findings.

Each error becomes a Finding with rule `schema.<keyword>` that says, in the
user's terms, what is wrong and what would be accepted. Of a union (anyOf,
oneOf) only the alternative that fits best is reported. A field kafkac does not
accept points at its key and says whether it is Strimzi API that kafkac does not
support yet, something a live cluster wrote (`metadata.deletionTimestamp`), or a
plain unknown field.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ._strimzi_fields import ANY_ITEM
from .findings import FieldPath, Finding, dotted, error, warning
from .document import Document
from .load import ScalarFloat
from .prune import DELETION_METADATA, SERVER_SET_METADATA, STRIMZI_FINALIZER_PREFIX
from .strimzi_field_notes import REFUSED_FIELD_HINTS, STRIMZI_V1BETA2_VALUES, no_effect, v1beta2_only

if TYPE_CHECKING:
    from jsonschema import ValidationError

# Metadata the API server writes on a live object; a spec never carries it. What it sets on
# create is dropped before validate (prune.as_applied); an object being deleted is refused here.
SERVER_WRITTEN_METADATA = frozenset({*SERVER_SET_METADATA, *DELETION_METADATA})
KUBERNETES_FIELDS = {
    "metadata": frozenset({"generateName", "ownerReferences", "finalizers"}),
    "ConfigMap": frozenset({"binaryData", "immutable"}),
}

# Schema keyword (ignored by jsonschema) with the words for a value kafkac's narrowing refuses.
REFUSAL_KEYWORD = "x-kafkac-refusal"

_TYPE_PHRASES = {"string": "a string", "integer": "an integer", "number": "a number",
                 "boolean": "a boolean", "object": "an object", "array": "an array", "null": "null"}
_MAX_SHOWN = 60


class _StrimziApi(Protocol):
    """What the explanations need to know of Strimzi's field paths (validate's StrimziFields)."""

    def knows(self, kind: str, path: FieldPath) -> bool: ...

    def enum(self, kind: str, path: FieldPath) -> list | None: ...


def explain(document: Document, errors: list[ValidationError], root: dict, strimzi_api: _StrimziApi, *,
            base: FieldPath = (), start: dict | None = None, kubernetes: bool = False) -> list[Finding]:
    """The findings for the jsonschema errors of one document (or of one Kubernetes-typed subtree of it).

    `root` is the schema document that local `$ref`s point into; see `_Explainer` for the rest.
    """
    explainer = _Explainer(document, root, strimzi_api, base=base, start=start, kubernetes=kubernetes)
    return [finding for err in _drop_looser_type_errors(errors) for finding in explainer.explain(err)]

@dataclass(frozen=True)
class _Choice:
    """The alternative of an anyOf/oneOf that errors are reported for."""

    note: str
    discriminator: str = ""
    fields_elsewhere: dict[str, list[str]] = field(default_factory=dict)


class _Explainer:
    """Explains the jsonschema errors of one document as findings.

    `root` is the schema document that local `$ref`s point into. For a
    Kubernetes-typed subtree the errors are relative to the subtree: `base` is
    the subtree's path in the document, `start` the schema of the subtree, and
    only fields that Strimzi's API has are offered as alternatives.
    """

    def __init__(self, document: Document, root: dict, strimzi_api: _StrimziApi, *, base: FieldPath = (),
                 start: dict | None = None, kubernetes: bool = False):
        self.document = document
        self.kind = document.kind
        self.root = root
        self.strimzi_api = strimzi_api
        self.base = base
        self.start = root if start is None else start
        self.kubernetes = kubernetes

    def explain(self, err: ValidationError, choice: _Choice | None = None) -> list[Finding]:
        if err.validator == "oneOf":
            names = _exactly_one_of(err.validator_value, self._resolve)
            if names:
                return self._on_exactly_one(err, names, choice)
        if err.validator in ("anyOf", "oneOf") and err.context:
            return self._on_alternatives(err, choice)
        if err.validator == "const" and err.validator_value == {} and isinstance(err.instance, dict):
            # cue writes a closed empty struct `{}` as `const: {}`: its fields are unknown fields
            return self._unknown_fields(err, allowed=[], choice=choice)
        handler = getattr(self, f"_on_{err.validator}", None)
        if handler is None:
            return [self._finding(err, err.message, "", choice)]
        return handler(err, choice)

    # keyword handlers -----------------------------------------------------------

    def _on_additionalProperties(self, err, choice):
        allowed = sorted(err.schema.get("properties", {}))
        return self._unknown_fields(err, allowed, choice)

    def _on_required(self, err, choice):
        parent = self._at(err)
        missing = [name for name in err.validator_value if name not in err.instance]
        return [self._finding(err, "required field is missing", self._what_goes_in(parent + (name,)), choice,
                              path=parent + (name,), span=self._parent_span(parent))
                for name in missing]

    def _on_type(self, err, choice):
        wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return [self._type_finding(err, wanted, choice)]

    def _on_enum(self, err, choice):
        values = _join_or([show(v) for v in err.validator_value])
        return [self._value_not_accepted(err, f"is not {values}", values, choice)]

    def _on_const(self, err, choice):
        if err.validator_value == {}:
            return [self._finding(err, f"{show(err.instance)} is not an empty object",
                                  "an empty object {}", choice)]
        wanted = show(err.validator_value)
        return [self._value_not_accepted(err, f"is not {wanted}", wanted, choice)]

    def _on_minimum(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is less than the minimum of {err.validator_value}",
                              _range(err.schema), choice)]

    def _on_maximum(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is greater than the maximum of {err.validator_value}",
                              _range(err.schema), choice)]

    def _on_exclusiveMinimum(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is not greater than {err.validator_value}",
                              f"more than {err.validator_value}", choice)]

    def _on_exclusiveMaximum(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is not less than {err.validator_value}",
                              f"less than {err.validator_value}", choice)]

    def _on_minLength(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is shorter than {err.validator_value} characters",
                              f"at least {err.validator_value} characters", choice)]

    def _on_maxLength(self, err, choice):
        return [self._finding(err, f"{show(err.instance)} is {len(err.instance)} characters long, "
                                   f"more than the maximum of {err.validator_value}",
                              f"at most {err.validator_value} characters", choice)]

    def _on_pattern(self, err, choice):
        expected = self._description(err) or f"a string matching {err.validator_value}"
        complaint = _refusal(err.schema) or f"does not match {err.validator_value}"
        return [self._finding(err, f"{show(err.instance)} {complaint}", expected, choice)]

    def _on_minItems(self, err, choice):
        count = len(err.instance)
        return [self._finding(err, f"has {count} item{'s' * (count != 1)}, fewer than the minimum of "
                                   f"{err.validator_value}",
                              f"at least {err.validator_value} item{'s' * (err.validator_value != 1)}", choice)]

    def _on_maxItems(self, err, choice):
        count = len(err.instance)
        return [self._finding(err, f"has {count} items, more than the maximum of {err.validator_value}",
                              f"at most {err.validator_value} items", choice)]

    def _on_uniqueItems(self, err, choice):
        seen: list = []
        findings = []
        for index, item in enumerate(err.instance):
            if any(_same_json(item, other) for other in seen):
                findings.append(self._finding(err, f"{show(item)} appears more than once", "each item once",
                                              choice, path=self._at(err) + (index,)))
            seen.append(item)
        return findings

    def _on_not(self, err, choice):
        complaint = _refusal(err.schema) or "is not allowed here"
        return [self._finding(err, f"{show(err.instance)} {complaint}",
                              self._description(err) or f"any value except {show(err.instance)}", choice)]

    def _on_None(self, err, choice):  # the boolean schema `false` has no keyword
        return [self._finding(err, "not allowed here", "remove it", choice, rule="schema.false")]

    # unions -------------------------------------------------------------------------

    def _on_alternatives(self, err: ValidationError, choice: _Choice | None) -> list[Finding]:
        branches = [self._resolve(branch) for branch in err.validator_value]
        errors_by_branch = _errors_by_branch(err, len(branches))
        discriminators = [_type_const(branch) for branch in branches]
        if isinstance(err.instance, dict) and any(discriminators):
            return self._discriminated(err, branches, discriminators, errors_by_branch, choice)
        fitting = [i for i, errors in enumerate(errors_by_branch) if not _fails_on_type(errors)]
        if not fitting:
            wanted = sorted({t for errors in errors_by_branch for e in errors for t in _types_of(e)},
                            key=list(_TYPE_PHRASES).index)
            return [self._type_finding(err, wanted, choice)]
        best = min(fitting, key=lambda i: (len(errors_by_branch[i]), i))
        return self._explain_all(errors_by_branch[best], _Choice(f"best match, {_others(len(branches))}"))

    def _discriminated(self, err, branches, discriminators, errors_by_branch, choice) -> list[Finding]:
        """Report the branch whose `type` matches the value's; the others are not of interest.

        Without a `type`, the branch where `type` is optional (the default type) is the one reported.
        """
        shown = _join_or([show(d) for d in discriminators if d])
        parent = self._at(err)
        given = err.instance.get("type")
        if "type" not in err.instance:
            defaults = [d for d, branch in zip(discriminators, branches)
                        if d and "type" not in branch.get("required", [])]
            if not defaults:
                return [self._finding(err, "required field is missing", shown, choice,
                                      path=parent + ("type",), span=self._parent_span(parent),
                                      rule="schema.required")]
            given = defaults[0]
        if given not in discriminators:
            path = parent + ("type",)
            message = (f"{show(given)} is part of Strimzi's API but not supported by kafkac yet"
                       if given in (self._strimzi_enum(path) or []) else f"{show(given)} is not {shown}")
            return [self._finding(err, message, shown, choice, path=path, rule="schema.enum")]
        index = discriminators.index(given)
        elsewhere: dict[str, list[str]] = {}
        for other, branch in enumerate(branches):
            for name in branch.get("properties", {}):
                if other != index and name not in branches[index].get("properties", {}):
                    elsewhere.setdefault(name, []).append(discriminators[other])
        default = " (the default)" if "type" not in err.instance else ""
        note = f"best match: type {show(given)}{default}, {_others(len(branches))}"
        return self._explain_all(errors_by_branch[index], _Choice(note, given, elsewhere))

    def _on_exactly_one(self, err: ValidationError, names: list[str], choice: _Choice | None) -> list[Finding]:
        """A value that must set exactly one of some fields (a volume source, an env var's value)."""
        if not isinstance(err.instance, dict):
            return []  # the type error is reported on its own
        parent = self._at(err)
        expected = f"exactly one of {_join_or(names)}"
        present = [name for name in names if name in err.instance]
        if not present:
            return [self._finding(err, f"needs one of {_join_or(names)}, and has none", expected, choice,
                                  span=self._parent_span(parent), rule="schema.oneOf")]
        return [self._finding(err, f"not allowed together with {present[0]}", expected, choice,
                              path=parent + (name,), span=self.document.span_of(parent + (name,), key=True),
                              rule="schema.oneOf")
                for name in present[1:]]

    def _explain_all(self, errors: list[ValidationError], choice: _Choice) -> list[Finding]:
        return [finding for sub in _drop_looser_type_errors(errors) for finding in self.explain(sub, choice)]

    # unknown fields -----------------------------------------------------------------

    def _unknown_fields(self, err, allowed: list[str], choice) -> list[Finding]:
        parent = self._at(err)
        if self.kubernetes:  # offer only what Strimzi's API has of the Kubernetes type
            allowed = [name for name in allowed if self.strimzi_api.knows(self.kind, parent + (name,))]
        expected = f"one of the fields {', '.join(allowed)}" if allowed else "no fields: an empty object {}"
        findings = []
        for key in err.instance:
            if key in allowed:
                continue
            path = parent + (key,)
            configures = no_effect(self.kind, _notation(path))
            if configures and (self.strimzi_api.knows(self.kind, path)
                              or v1beta2_only(self.kind, _notation(path))):
                if err.instance[key] in ({}, []):
                    continue  # an empty section configures nothing, with or without effect
                findings.append(warning(
                    "schema.noEffect", f"{dotted(path)}: configures {configures}, so it has no effect",
                    self.document.span_of(path, key=True), path, "remove it", self.document.describe()))
                continue
            findings.append(self._finding(err, self._why_refused(path, allowed, choice), expected, choice,
                                          path=path, span=self.document.span_of(path, key=True),
                                          rule="schema.additionalProperties"))
        return findings

    def _why_refused(self, path: FieldPath, allowed: list[str], choice: _Choice | None) -> str:
        key = path[-1]
        hint = REFUSED_FIELD_HINTS.get((self.kind, _notation(path)))
        if hint:
            return hint
        if path[:1] == ("metadata",) and len(path) == 2 and key in DELETION_METADATA:
            return ("written by the Kubernetes API server on an object being deleted: this is a copy of a "
                    "resource on its way out of a cluster, not a spec to deploy; to deploy it, remove "
                    "deletionTimestamp and deletionGracePeriodSeconds")
        if path == ("status",) or (len(path) == 2 and path[0] == "metadata" and key in SERVER_WRITTEN_METADATA):
            return ("written by the Kubernetes API server on a live object, not part of a spec: remove it "
                    "(was this exported from a cluster?)")
        if path == ("metadata", "finalizers"):
            return self._finalizers_refused(path)
        if path == ("metadata", "ownerReferences"):
            return (f"kafkac makes no {self.kind} object in the cluster for the owner's garbage "
                    f"collection to delete; the chart's objects belong to its Helm release. Remove them; "
                    f"`helm uninstall` removes what the owner's deletion would have")
        if path == ("metadata", "generateName"):
            return (f"kafkac names the chart and the objects it makes after the {self.kind}'s metadata.name, "
                    f"which generateName leaves to the API server to choose: write metadata.name instead")
        if choice and key in choice.fields_elsewhere:
            others = " or ".join(show(d) for d in choice.fields_elsewhere[key])
            return f"not allowed with type {show(choice.discriminator)} (only with type {others})"
        if self.strimzi_api.knows(self.kind, path):
            return "part of Strimzi's API but not supported by kafkac yet"
        if v1beta2_only(self.kind, _notation(path)):
            return ("a Strimzi field kafkac does not support: Strimzi's v1beta2 API had it, its v1 "
                    "API has it no more")
        if (len(path) == 2 and path[0] == "metadata" and key in KUBERNETES_FIELDS["metadata"]) or \
                (len(path) == 1 and key in KUBERNETES_FIELDS.get(self.kind, ())):
            return "a Kubernetes field that kafkac does not support"
        close = difflib.get_close_matches(str(key), allowed, n=1)
        return "unknown field" + (f" (did you mean {close[0]}?)" if close else "")

    def _finalizers_refused(self, path: FieldPath) -> str:
        finalizers = self.document.get(*path)
        others = [show(f) for f in (finalizers if isinstance(finalizers, list) else ())
                  if not (isinstance(f, str) and f.startswith(STRIMZI_FINALIZER_PREFIX))]
        named = f" ({', '.join(others)})" if others else ""
        return (f"finalizers of another controller{named}: kafkac makes no {self.kind} object in the cluster "
                f"for them to hold, so they would guard nothing; remove them, or put them on the objects that "
                f"controller should guard (Strimzi's own, {STRIMZI_FINALIZER_PREFIX}..., are ignored)")

    # helpers ------------------------------------------------------------------------

    def _value_not_accepted(self, err, complaint: str, expected: str, choice) -> Finding:
        path = self._at(err)
        if err.instance in (self._strimzi_enum(path) or []):
            complaint = "is part of Strimzi's API but not supported by kafkac yet"
        return self._finding(err, f"{show(err.instance)} {complaint}", expected, choice)

    def _type_finding(self, err, wanted: list[str], choice) -> Finding:
        if len(wanted) > 1 and err.instance is not None:  # Kubernetes types allow null: absent
            wanted = [t for t in wanted if t != "null"]
        phrases = _join_or([_TYPE_PHRASES.get(t, t) for t in wanted])
        actual = "" if err.instance is None else f" {_TYPE_PHRASES[_json_type(err.instance)]},"
        expected = phrases
        if "integer" in wanted and isinstance(err.instance, float):
            expected += " (integers only, written without a fraction or exponent)"
        return self._finding(err, f"{show(err.instance)} is{actual} not {phrases}", expected, choice,
                             rule="schema.type")

    def _strimzi_enum(self, path: FieldPath) -> list | None:
        v1beta2 = STRIMZI_V1BETA2_VALUES.get((self.kind, _notation(path)), ())
        return [*(self.strimzi_api.enum(self.kind, path) or []), *v1beta2] or None

    def _parent_span(self, parent: FieldPath):
        if parent and isinstance(parent[-1], str):
            return self.document.span_of(parent, key=True)
        return self.document.span_of(parent)

    def _what_goes_in(self, path: FieldPath) -> str:
        description = self._plain(self._field_description(path) or "")
        return f"{path[-1]}: {description}" if description else f"a value for {path[-1]}"

    def _at(self, err: ValidationError) -> FieldPath:
        """The error's path in the document."""
        return self.base + tuple(err.absolute_path)

    def _plain(self, description: str) -> str:
        text = _plain(description)
        return _first_sentence(text) if self.kubernetes else text

    def _description(self, err: ValidationError) -> str:
        """What the failing schema (or else the field) is documented to accept."""
        text = err.schema.get("description") if isinstance(err.schema, dict) else None
        return self._plain(text or self._field_description(self._at(err)) or "")

    def _field_description(self, path: FieldPath) -> str | None:
        node, description = self.start, None
        for part in path[len(self.base):]:
            node = self._field_schema(node, part)
            if node is None:
                return description
            description = node.get("description", description)
        return description

    def _field_schema(self, schema: dict, part) -> dict | None:
        schema = self._resolve(schema)
        if isinstance(part, int):
            items = schema.get("items")
            return items if isinstance(items, dict) else None
        if part in schema.get("properties", {}):
            return schema["properties"][part]
        for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            found = self._field_schema(branch, part)
            if found is not None:
                return found
        extra = schema.get("additionalProperties")
        return extra if isinstance(extra, dict) else None

    def _resolve(self, schema: dict) -> dict:
        """Follow local `$ref`s (`#/$defs/Name`), the only kind cue emits."""
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 32:
            node = self.root
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema, seen = node, seen + 1
        return schema

    def _finding(self, err: ValidationError, message: str, expected: str, choice: _Choice | None, *,
                 path: FieldPath | None = None, span=None, rule: str | None = None) -> Finding:
        path = self._at(err) if path is None else path
        if choice and choice.note:
            message = f"{message} ({choice.note})"
        return error(rule or f"schema.{err.validator}", f"{dotted(path) or 'document'}: {message}",
                     span or self.document.span_of(path), path, expected, self.document.describe())


def _errors_by_branch(err: ValidationError, count: int) -> list[list[ValidationError]]:
    by_branch: list[list[ValidationError]] = [[] for _ in range(count)]
    for sub in err.context:
        by_branch[sub.relative_schema_path[0]].append(sub)
    return by_branch


def _type_const(schema: dict) -> str | None:
    value = schema.get("properties", {}).get("type", {}).get("const") if isinstance(schema, dict) else None
    return value if isinstance(value, str) else None


def _fails_on_type(errors: list[ValidationError]) -> bool:
    """Whether a union branch was rejected because the value has the wrong JSON type."""
    return any(e.validator == "type" and not e.relative_path for e in errors)


def _types_of(err: ValidationError) -> list[str]:
    if err.validator != "type" or err.relative_path:
        return []
    return err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]


def _drop_looser_type_errors(errors: list[ValidationError]) -> list[ValidationError]:
    """cue writes `int & >=0` as allOf[{type: number}, {type: integer, ...}]: report the integer error only."""
    def is_type_error(e: ValidationError, json_type: str) -> bool:
        return e.validator == "type" and e.validator_value == json_type

    integer_paths = {tuple(e.absolute_path) for e in errors if is_type_error(e, "integer")}
    return [e for e in errors if not (is_type_error(e, "number") and tuple(e.absolute_path) in integer_paths)]


def _others(branch_count: int) -> str:
    others = branch_count - 1
    return f"{others} other alternative{'s' * (others != 1)}"


# --- words -----------------------------------------------------------------------------

def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def show(value) -> str:
    """A value as it would be written in JSON, shortened."""
    if isinstance(value, ScalarFloat):
        text = value.text
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=False, default=str)
    if len(text) > _MAX_SHOWN:
        if isinstance(value, (dict, list)):
            return _TYPE_PHRASES[_json_type(value)]
        text = text[:_MAX_SHOWN - 1] + "…"
    return text


def _same_json(a, b) -> bool:
    return _json_type(a) == _json_type(b) and a == b


def _join_or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _range(schema: dict) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{low} to {high}"
    return f"{low} or more" if low is not None else f"{high} or less"


def _plain(description: str) -> str:
    """A CUE doc comment as one line, without the leading `#Name is`."""
    text = " ".join(description.split())
    return re.sub(r"^#\w+ is ", "", text)


def _first_sentence(text: str) -> str:
    """The first sentence of a Kubernetes field description (they run to paragraphs)."""
    match = re.match(r"(.+?(?<!\be\.g)(?<!\bi\.e)\.)(?=\s|$)", text)
    return match[1] if match else text


def _refusal(schema) -> str | None:
    """The words kafkac's own narrowing of a Kubernetes type gives for a refused value."""
    return schema.get(REFUSAL_KEYWORD) if isinstance(schema, dict) else None


def _exactly_one_of(branches, resolve) -> list[str] | None:
    """The field names of a oneOf that only says "exactly one of these fields is set", else None.

    cue writes `matchN(1, [{a!: _, ...}, {b!: _, ...}])` that way, and so does kafkac's narrowing of
    Kubernetes types: each branch requires one field and constrains nothing else.
    """
    names = []
    for branch in branches if isinstance(branches, list) else ():
        branch = resolve(branch)
        if not isinstance(branch, dict) or set(branch) - {"type", "additionalProperties", "properties", "required"}:
            return None
        required = branch.get("required", [])
        properties = branch.get("properties", {})
        if len(required) != 1 or any(value is not True or key != required[0] for key, value in properties.items()):
            return None
        names.append(required[0])
    return names or None

def _notation(path: FieldPath) -> str:
    """`('spec', 'kafka', 'listeners', 0, 'port')` -> `spec.kafka.listeners[].port`."""
    out = ""
    for part in path:
        out += ANY_ITEM if isinstance(part, int) else ("." if out else "") + part
    return out
