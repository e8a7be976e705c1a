"""Strimzi's older APIs read as the one kafkac validates.

Runs on loaded documents, before validate. Each resource of kafka.strimzi.io/
v1alpha1 or v1beta1 is rewritten the way Strimzi's own conversion (its
api-conversion tool, for its move to v1beta2) did: the Kafka's listeners map
becomes the list, inline `metrics` become a metrics ConfigMap and a
`metricsConfig` naming it, `affinity` and `tolerations` move into
`template.pod`, and the fields v1beta2 removed (`tlsSidecar`, the Kafka's own
`topicOperator`) are dropped.

Then the v1beta2 fields of Kafka Connect and MirrorMaker 2 that Strimzi's v1
API no longer has are read as Strimzi ran them: a KafkaConnector's `pause`
as its `state`, Jaeger tracing (which Strimzi stopped running) dropped, and
`externalConfiguration` as the pod template's volumes and environment,
mounted where Strimzi mounted them (/opt/kafka/external-configuration/<name>,
the path the connectors' configurations name).

Every converted field keeps the position it was written at, and gets a note
that says what it became; what conversion cannot place is left where it is,
for validate to refuse with its position.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import yaml

from .findings import FieldPath, Finding, error, info, warning
from .document import Document, Documents

OLD_API_VERSIONS = ("kafka.strimzi.io/v1alpha1", "kafka.strimzi.io/v1beta1")
CONVERTED_API_VERSION = "kafka.strimzi.io/v1beta2"
CONVERTED_KINDS = ("Kafka", "KafkaTopic", "KafkaUser")
# Where Strimzi mounted a Connect worker's externalConfiguration volumes, each at <dir>/<name>.
EXTERNAL_CONFIGURATION_DIR = "/opt/kafka/external-configuration"
EXTERNAL_CONFIGURATION_VOLUME_PREFIX = "ext-conf-"
# The listeners of the map form: name -> (port, type, tls) as Strimzi's conversion gave them.
_MAP_LISTENERS = {"plain": (9092, "internal", False), "tls": (9093, "internal", True),
                  "external": (9094, None, True)}
# What a listener of the map form carries over as it is.
_CARRIED_LISTENER_FIELDS = ("authentication", "networkPolicyPeers", "configuration")
# Fields v1beta2 removed: dropped, as Strimzi's conversion dropped them.
_REMOVED = {
    ("spec", "kafka", "tlsSidecar"): "the TLS sidecar of Strimzi's Kafka pods, which v1beta2 removed",
    ("spec", "zookeeper", "tlsSidecar"): "the TLS sidecar of Strimzi's ZooKeeper pods, which v1beta2 removed",
    ("spec", "topicOperator"): "Strimzi's standalone Topic Operator of the Kafka, which v1beta2 removed "
                               "(spec.entityOperator.topicOperator has the chart manage the KafkaTopics)",
}


class _Rewrite:
    """One document being converted: its data and the positions its nodes were written at."""

    def __init__(self, document: Document):
        self.document = document
        self.data = copy.deepcopy(document.data)
        self.spans = dict(document.spans)
        self.key_spans = dict(document.key_spans)
        self.notes: list[Finding] = []

    def get(self, path: FieldPath):
        node = self.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return None
        return node

    def pop(self, path: FieldPath):
        parent = self.get(path[:-1])
        return parent.pop(path[-1]) if isinstance(parent, dict) else None

    def put(self, path: FieldPath, value, written_at: FieldPath | None = None) -> None:
        """Sets `path` to `value`; with `written_at`, every node below it keeps the position it had there."""
        node = self.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        if written_at is not None:
            self._move_positions(written_at, path)

    def _move_positions(self, old: FieldPath, new: FieldPath) -> None:
        for spans in (self.spans, self.key_spans):
            for path in [p for p in spans if p[:len(old)] == old]:
                spans[new + path[len(old):]] = spans[path]

    def note(self, path: FieldPath, message: str, expected: str, removed: bool = False) -> None:
        span = self.document.span_of(path, key=True)
        make = warning if removed else info
        self.notes.append(make("api.converted", message, span, path, expected, self.document.describe()))

    def document_out(self) -> Document:
        return Document(self.document.file, self.document.index, self.data, self.spans, self.key_spans)


def convert(documents: Documents) -> tuple[Documents, list[Finding]]:
    """The documents with every resource of an old API as v1beta2, and a note per converted field."""
    converted: list[Document] = []
    notes: list[Finding] = []
    for document in documents.documents:
        if document.api_version == CONVERTED_API_VERSION and document.kind in _V1BETA2_CONVERSIONS:
            rewrite = _Rewrite(document)
            _V1BETA2_CONVERSIONS[document.kind](rewrite)
            converted.append(rewrite.document_out() if rewrite.notes else document)
            notes.extend(rewrite.notes)
            continue
        if document.api_version not in OLD_API_VERSIONS or document.kind not in CONVERTED_KINDS:
            converted.append(document)
            continue
        rewrite = _Rewrite(document)
        rewrite.data["apiVersion"] = CONVERTED_API_VERSION
        rewrite.note(("apiVersion",), f"{document.named()} is written in "
                     f"{document.api_version}: read as {CONVERTED_API_VERSION}, as Strimzi's conversion did",
                     f"apiVersion: {CONVERTED_API_VERSION} (or kafka.strimzi.io/v1)")
        extra: list[Document] = []
        if document.kind == "Kafka":
            extra = list(_convert_kafka(rewrite))
        converted.append(rewrite.document_out())
        converted.extend(extra)
        notes.extend(rewrite.notes)
    return Documents(converted, documents.findings), notes


def _convert_kafka(rewrite: _Rewrite) -> Iterable[Document]:
    _listeners(rewrite)
    for component in ("kafka", "zookeeper"):
        for field_name in ("affinity", "tolerations"):
            _to_pod_template(rewrite, component, field_name)
    for path, what in _REMOVED.items():
        if rewrite.get(path) is not None:
            rewrite.pop(path)
            rewrite.note(path, f"{'.'.join(path)} is dropped: {what}", f"no {path[-1]}", removed=True)
    for component in ("kafka", "zookeeper"):
        config_map = _metrics(rewrite, component)
        if config_map is not None:
            yield config_map


def _listeners(rewrite: _Rewrite) -> None:
    """The listeners map ({plain: {}, tls: {...}, external: {type: ...}}) as the list of v1beta2."""
    path = ("spec", "kafka", "listeners")
    listeners = rewrite.get(path)
    if not isinstance(listeners, dict):
        return
    converted = []
    for index, (name, raw) in enumerate(listeners.items()):
        raw = dict(raw or {}) if isinstance(raw, dict) else {}
        port, type_, tls = _MAP_LISTENERS.get(name, (None, None, True))
        if name == "external":
            type_ = raw.pop("type", None)
            tls = raw.pop("tls", True)
        for key in [k for k in raw if k not in _CARRIED_LISTENER_FIELDS]:
            raw.pop(key)
            at = path + (name, key)
            rewrite.notes.append(error(
                "api.not-converted", f"spec.kafka.listeners.{name}.{key} of the old API has no place in the "
                "v1beta2 listener kafkac reads", rewrite.document.span_of(at, key=True), at,
                "authentication, networkPolicyPeers or configuration (write the listener in the list form "
                "of kafka.strimzi.io/v1beta2 for its other settings)", rewrite.document.describe()))
        item = {"name": name, "port": port, "type": type_, "tls": tls, **raw}
        converted.append({k: v for k, v in item.items() if v is not None})
        rewrite.spans[path + (index,)] = rewrite.document.span_of(path + (name,))
        for key in raw:
            rewrite._move_positions(path + (name, key), path + (index, key))
    rewrite.put(path, converted)
    rewrite.note(path, "spec.kafka.listeners is a map of the old API: read as the list "
                 + ", ".join(f"{item['name']} (port {item.get('port', '?')}, type {item.get('type', '?')}, "
                             f"tls {str(item.get('tls')).lower()})" for item in converted),
                 "listeners as a list of name, port, type and tls")


def _to_pod_template(rewrite: _Rewrite, component: str, field_name: str) -> None:
    old = ("spec", component, field_name)
    value = rewrite.get(old)
    if value is None:
        return
    new = ("spec", component, "template", "pod", field_name)
    rewrite.pop(old)
    rewrite.put(new, value, written_at=old)
    rewrite.note(old, f"spec.{component}.{field_name} of the old API: read as {'.'.join(new)}",
                 f"spec.{component}.template.pod.{field_name}")


def _metrics(rewrite: _Rewrite, component: str) -> Document | None:
    """Inline `metrics` (the JMX exporter's rules) as a ConfigMap of their own and a metricsConfig
    naming it, as Strimzi's conversion made them."""
    old = ("spec", component, "metrics")
    rules = rewrite.get(old)
    if not isinstance(rules, dict):
        return None
    cluster = rewrite.document.name
    name = f"{cluster}-{component}-jmx-exporter-configuration"
    key = f"{name}.yaml"
    rewrite.pop(old)
    rewrite.put(("spec", component, "metricsConfig"), {
        "type": "jmxPrometheusExporter", "valueFrom": {"configMapKeyRef": {"name": name, "key": key}}})
    rewrite._move_positions(old, ("spec", component, "metricsConfig"))
    rewrite.note(old, f"spec.{component}.metrics of the old API: its rules are read as the ConfigMap {name} "
                 f"(key {key}) that spec.{component}.metricsConfig names", f"spec.{component}.metricsConfig")
    metadata = {"name": name}
    namespace = rewrite.document.get("metadata", "namespace")
    if namespace is not None:
        metadata["namespace"] = namespace
    data = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
            "data": {key: yaml.safe_dump(rules, sort_keys=False)}}
    span = rewrite.document.span_of(old, key=True)
    return Document(rewrite.document.file, rewrite.document.index, data, {(): span})


# --- v1beta2 fields of Connect and MirrorMaker 2 that Strimzi's v1 API removed ---------------

def _connect_workers(rewrite: _Rewrite) -> None:
    """A KafkaConnect or KafkaMirrorMaker2 of v1beta2."""
    tracing = ("spec", "tracing")
    if _is_dict(rewrite.get(tracing)) and rewrite.get(tracing + ("type",)) == "jaeger":
        rewrite.pop(tracing)
        rewrite.note(tracing, "spec.tracing of type jaeger is dropped: Strimzi no longer runs Jaeger tracing, "
                     "and its v1 conversion deletes it", "no spec.tracing",
                     removed=True)
    _external_configuration(rewrite)


def _external_configuration(rewrite: _Rewrite) -> None:
    """externalConfiguration's env and volumes as the pod template's, as Strimzi ran them: each
    volume ext-conf-<name>, mounted at /opt/kafka/external-configuration/<name>."""
    old = ("spec", "externalConfiguration")
    external = rewrite.get(old)
    container = ("spec", "template", "connectContainer")
    targets = (container + ("env",), container + ("volumeMounts",), ("spec", "template", "pod", "volumes"))
    if not _is_dict(external) or not all(_can_append(rewrite, path) for path in targets):
        return  # not the shape Strimzi had, or a template that is not: validate refuses them where they are
    rewrite.pop(old)
    env = _as_list(external.get("env"))
    if env:
        _append(rewrite, container + ("env",), env, old + ("env",))
        rewrite.note(old + ("env",), f"spec.externalConfiguration.env: read as {len(env)} more variable(s) of "
                     "spec.template.connectContainer.env", "spec.template.connectContainer.env "
                     "(kafka.strimzi.io/v1 has no externalConfiguration)")
    volumes = _as_list(external.get("volumes"))
    if volumes:
        pod_volumes, mounts = [], []
        for volume in volumes:
            name = volume.get("name") if isinstance(volume, dict) else None
            pod_volumes.append({**volume, "name": f"{EXTERNAL_CONFIGURATION_VOLUME_PREFIX}{name}"}
                               if isinstance(name, str) else volume)
            if isinstance(name, str):
                mounts.append(_external_configuration_mount(name))
        _append(rewrite, ("spec", "template", "pod", "volumes"), pod_volumes, old + ("volumes",))
        _append(rewrite, container + ("volumeMounts",), mounts, old + ("volumes",))
        rewrite.note(old + ("volumes",), "spec.externalConfiguration.volumes: read as volumes of "
                     "spec.template.pod.volumes, each mounted at "
                     f"{EXTERNAL_CONFIGURATION_DIR}/<name> as Strimzi mounted it",
                     "spec.template.pod.volumes with spec.template.connectContainer.volumeMounts under /mnt "
                     "(kafka.strimzi.io/v1 has no externalConfiguration)")


def _external_configuration_mount(name: str) -> dict:
    return {"name": f"{EXTERNAL_CONFIGURATION_VOLUME_PREFIX}{name}", "mountPath": f"{EXTERNAL_CONFIGURATION_DIR}/{name}"}


def is_external_configuration_mount(document: Document, mount) -> bool:
    """Whether `mount` is one that conversion made of a v1beta2 externalConfiguration volume,
    outside /mnt, where Strimzi's v1 rule for template volumeMounts does not apply."""
    name = mount.get("name") if isinstance(mount, dict) else None
    return (document.api_version == CONVERTED_API_VERSION and isinstance(name, str)
            and name.startswith(EXTERNAL_CONFIGURATION_VOLUME_PREFIX)
            and mount == _external_configuration_mount(name.removeprefix(EXTERNAL_CONFIGURATION_VOLUME_PREFIX)))


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _is_dict(value) -> bool:
    return isinstance(value, dict)


def _can_append(rewrite: _Rewrite, path: FieldPath) -> bool:
    """Whether `path` is a list, or absent below objects, so that items can be appended to it."""
    node = rewrite.data
    for part in path:
        if not _is_dict(node):
            return False
        if part not in node:
            return True
        node = node[part]
    return isinstance(node, list)


def _append(rewrite: _Rewrite, path: FieldPath, items: list, written_at: FieldPath) -> None:
    """Appends `items` to the list at `path`; item i keeps the position of `written_at`[i]."""
    present = _as_list(rewrite.get(path))
    if not items:
        return
    rewrite.put(path, [*present, *items])
    for i in range(len(items)):
        rewrite._move_positions(written_at + (i,), path + (len(present) + i,))


def _connector(rewrite: _Rewrite) -> None:
    """A KafkaConnector of v1beta2: `pause` as `state`, as Strimzi's v1 conversion reads it."""
    pause = ("spec", "pause")
    paused = rewrite.get(pause)
    if paused is None:
        return
    rewrite.pop(pause)
    state = rewrite.get(("spec", "state"))
    if paused is True and state is None:
        rewrite.put(("spec", "state"), "paused", written_at=pause)
        rewrite.note(pause, "spec.pause: true is read as spec.state: paused", "spec.state: paused")
    else:
        rewrite.note(pause, f"spec.pause is dropped: {'spec.state decides' if state else 'not paused'}",
                     "spec.state: running, paused or stopped")


_V1BETA2_CONVERSIONS = {"KafkaConnect": _connect_workers, "KafkaMirrorMaker2": _connect_workers,
                        "KafkaConnector": _connector}
