"""Logging and metrics settings taken from ConfigMaps among the inputs, and Strimzi's metrics
reporter: what Kafka, ZooKeeper, Connect and MirrorMaker 2 say alike in `logging` (external)
and `metricsConfig`."""

from __future__ import annotations

import re

from .cluster_members import in_namespace, namespace_of, referenced
from .findings import FieldPath, Finding, error
from .document import Document
from .model import DEFAULT_METRICS_ALLOW_LIST, JMX_PROMETHEUS_EXPORTER, STRIMZI_METRICS_REPORTER, Metrics


def log_configuration(version: object) -> str:
    """What an external logging ConfigMap holds for a Kafka release (kafkac's default when None)."""
    if isinstance(version, str) and re.match(r"^3\.", version):
        return "the log4j 1 configuration (log4j.properties), as Kafka 3.x reads it"
    return "the log4j2 configuration"


def config_map_value(doc: Document, config_maps: dict[tuple, Document], path: tuple, rule: str,
                      what: str, findings: list[Finding]) -> str | None:
    """The value a `configMapKeyRef` at `path` names, from a ConfigMap among the inputs.

    None when the ConfigMap or its key is absent: an error unless the reference is optional.
    """
    ref = doc.get(*path)
    config_map = referenced(config_maps, namespace_of(doc), ref["name"])
    if config_map is None:
        if not ref.get("optional"):
            elsewhere = sorted(ns for ns, name in config_maps if name == ref["name"] and ns)
            message = (f"ConfigMap {ref['name']} is in {' and '.join(map(in_namespace, elsewhere))}, "
                       f"and {doc.kind} {doc.name} in {in_namespace(namespace_of(doc))}: a {doc.kind} reads "
                       "ConfigMaps of its own namespace" if elsewhere
                       else f"ConfigMap {ref['name']} is not among the inputs")
            findings.append(error(
                f"{rule}.config-map-missing", message,
                doc.span_of(path + ("name",)), path + ("name",),
                f"a ConfigMap in the inputs, in the {doc.kind}'s namespace or without one, holding {what}"))
        return None
    content = (config_map.get("data") or {}).get(ref["key"])
    if content is None:
        if not ref.get("optional"):
            keys = ", ".join(sorted(config_map.get("data") or {})) or "none"
            findings.append(error(
                f"{rule}.config-map-key", f"ConfigMap {ref['name']} has no key {ref['key']!r}",
                doc.span_of(path + ("key",)), path + ("key",), f"one of its keys: {keys}"))
        return None
    return content


def metrics_config(doc: Document, raw: dict, path: FieldPath, config_maps: dict[tuple, Document],
                   findings: list[Finding], default_allow_list: tuple[str, ...] = DEFAULT_METRICS_ALLOW_LIST
                   ) -> Metrics | None:
    """A metricsConfig: the JMX exporter's rules from a ConfigMap among the inputs, or
    Strimzi's metrics reporter with its allow list (`default_allow_list` when it names none)."""
    if raw["type"] == STRIMZI_METRICS_REPORTER:
        return metrics_reporter(doc, raw, path, findings, default_allow_list)
    if raw["type"] != JMX_PROMETHEUS_EXPORTER:
        findings.append(error(
            "metrics.unsupported", f"metricsConfig type {raw['type']!r} is not supported",
            doc.span_of(path + ("type",)), path + ("type",),
            f"type: {JMX_PROMETHEUS_EXPORTER} or {STRIMZI_METRICS_REPORTER}"))
        return None
    if "valueFrom" not in raw:
        findings.append(error(
            "metrics.config-missing", "metricsConfig of type jmxPrometheusExporter has no valueFrom",
            doc.span_of(path), path, "valueFrom.configMapKeyRef naming a ConfigMap key that holds "
            "the exporter's configuration (rules)"))
        return None
    for field in ("values",):
        if field in raw:
            findings.append(error(
                "metrics.unsupported", f"metricsConfig.{field} belongs to strimziMetricsReporter, "
                "not to jmxPrometheusExporter", doc.span_of(path + (field,)), path + (field,),
                "valueFrom only"))
    ref_path = path + ("valueFrom", "configMapKeyRef")
    content = config_map_value(doc, config_maps, ref_path, "metrics",
                                "the Prometheus JMX exporter's configuration", findings)
    if content is None:
        return None
    return Metrics(type=JMX_PROMETHEUS_EXPORTER, exporter_config=content)


def metrics_reporter(doc: Document, raw: dict, path: FieldPath, findings: list[Finding],
                     default_allow_list: tuple[str, ...] = DEFAULT_METRICS_ALLOW_LIST) -> Metrics | None:
    """metricsConfig of type strimziMetricsReporter: values.allowList, or Strimzi's default list."""
    before = len(findings)
    if "valueFrom" in raw:
        findings.append(error(
            "metrics.unsupported", "metricsConfig.valueFrom belongs to jmxPrometheusExporter, "
            "not to strimziMetricsReporter", doc.span_of(path + ("valueFrom",)), path + ("valueFrom",),
            "values.allowList only, or nothing for Strimzi's default allow list"))
    allow_list = (raw.get("values") or {}).get("allowList")
    if allow_list is None:
        return None if len(findings) > before else Metrics(
            type=STRIMZI_METRICS_REPORTER, allow_list=default_allow_list)
    list_path = path + ("values", "allowList")
    if not allow_list:
        findings.append(error(
            "metrics.allow-list-empty", "metricsConfig.values.allowList is empty: the reporter "
            "would serve no metric", doc.span_of(list_path), list_path,
            "at least one regular expression of metric names, or no allowList for Strimzi's default"))
    for index, pattern in enumerate(allow_list):
        problem = _allow_list_problem(pattern)
        if problem is not None:
            findings.append(error(
                "metrics.allow-list-pattern", f"allowList[{index}] {pattern!r} {problem}",
                doc.span_of(list_path + (index,)), list_path + (index,),
                "a regular expression of metric names without commas, such as kafka_server_replicamanager_.*"))
    if len(findings) > before:
        return None
    return Metrics(type=STRIMZI_METRICS_REPORTER, allow_list=tuple(allow_list))


def _allow_list_problem(pattern: str) -> str | None:
    """Why the reporter cannot use `pattern`: it splits its allow list at commas, and
    compiles every piece as a regular expression."""
    if "," in pattern:
        return "has a comma, which the reporter reads as the end of a pattern"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a regular expression: {exc}"
    return None
