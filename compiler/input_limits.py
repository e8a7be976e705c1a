"""Bounds and shapes that the schema alone does not say, checked at validate time.

Every count and size a spec gives has an upper bound here, with the reason for
it, so that no input makes kafkac (or what it writes) run out of time or memory,
and no value fails later against a generated file instead of the spec:

- numbers: what the Kubernetes or Kafka field that receives them can hold
  (Kubernetes' int32 fields, Kafka's node ids, ports), and for a node pool's
  replicas what one chart can carry (see MAX_REPLICAS_PER_POOL);
- host names written where a port goes separately (`host:9095`);
- an explicit heap larger than the pod's memory limit, which the kernel kills at
  start (a smaller share is a policy matter: rule `operability.heap`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from .findings import FieldPath, Finding, dotted, error
from .document import Document

INT32_MAX = 2 ** 31 - 1
INT64_MAX = 2 ** 63 - 1
# Kafka's node.id is a Java int: every node id of a pool must be at most INT32_MAX.
MAX_NODE_ID = INT32_MAX
# A node pool becomes one StatefulSet plus, per node, entries in values.yaml, one
# Service per external listener and per node, and lines in the certificate Job; Helm
# keeps the rendered release in one Secret of at most 1 MiB (compressed). 1000 nodes
# a pool compiles in seconds and stays far below that; Kafka clusters run with tens to
# a few hundred brokers.
MAX_REPLICAS_PER_POOL = 1000
# Listeners of one cluster: each is a port on every broker and at least one Service; real
# clusters have a handful.
MAX_LISTENERS = 32
# Services a chart writes per broker node and listener (external listeners have one each):
# bounded so that the rendered release stays well within what Helm stores for a release.
MAX_PER_BROKER_SERVICES = 3000
# Certificates' validity: X.509 dates end at the year 9999; a century is plenty.
MAX_CERTIFICATE_DAYS = 36500
# A Kubernetes quantity kafkac writes (memory, storage): at most 64 characters, and a
# value below 2^63 bytes, what Kubernetes' resource.Quantity holds as an int64.
MAX_QUANTITY_CHARACTERS = 64

# (kind, field in strimzi-fields notation) -> (upper bound, what sets it)
BOUNDS: dict[tuple[str, str], tuple[int, str]] = {
    ("KafkaNodePool", "spec.replicas"): (MAX_REPLICAS_PER_POOL, "what one chart carries per pool"),
    ("Kafka", "spec.kafka.listeners[].configuration.brokers[].broker"): (MAX_NODE_ID, "Kafka's node ids are Java ints"),
    ("Kafka", "spec.kafka.listeners[].configuration.maxConnections"): (INT32_MAX, "Kafka's option is a Java int"),
    ("Kafka", "spec.kafka.listeners[].configuration.maxConnectionCreationRate"):
        (INT32_MAX, "Kafka's option is a Java int"),
    ("Kafka", "spec.clusterCa.validityDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("Kafka", "spec.clusterCa.renewalDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("Kafka", "spec.clientsCa.validityDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("Kafka", "spec.clientsCa.renewalDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("KafkaUser", "spec.authentication.validityDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("KafkaUser", "spec.authentication.renewalDays"): (MAX_CERTIFICATE_DAYS, "a century of validity"),
    ("KafkaTopic", "spec.partitions"): (INT32_MAX, "Kafka's partition count is a Java int"),
    ("KafkaUser", "spec.quotas.producerByteRate"): (INT64_MAX, "Kafka's quota is a Java long"),
    ("KafkaUser", "spec.quotas.consumerByteRate"): (INT64_MAX, "Kafka's quota is a Java long"),
    ("KafkaUser", "spec.quotas.requestPercentage"): (INT32_MAX, "Kafka's quota is a Java int"),
    ("KafkaUser", "spec.quotas.controllerMutationRate"): (INT64_MAX, "Kafka's quota is a Java long"),
}
# Fields below any template or probe that Kubernetes declares int32 (probes, grace periods,
# maxUnavailable) or int64: the last part of the field's path -> the bound.
KUBERNETES_INT_FIELDS: dict[str, int] = {
    "initialDelaySeconds": INT32_MAX, "timeoutSeconds": INT32_MAX, "periodSeconds": INT32_MAX,
    "successThreshold": INT32_MAX, "failureThreshold": INT32_MAX, "maxUnavailable": INT32_MAX,
    "terminationGracePeriodSeconds": INT64_MAX,
}
QUANTITY_FIELDS = frozenset({"size", "sizeLimit", "tmpDirSizeLimit", "memory", "cpu"})
HOST_FIELDS = frozenset({"host", "advertisedHost", "alternativeNames"})
_STRING_CHECKED_FIELDS = QUANTITY_FIELDS | HOST_FIELDS

_HEAP = re.compile(r"^([0-9]+)([mMgG]?)$")
_HEAP_UNITS = {"": 1, "m": 2 ** 20, "g": 2 ** 30}


def check_document(document: Document) -> list[Finding]:
    if not isinstance(document.data, dict):
        return []
    findings: list[Finding] = []
    kind = document.kind
    _check_leaves(document, kind, document.data, (), findings)
    listeners = document.get("spec", "kafka", "listeners") if kind == "Kafka" else None
    if isinstance(listeners, list) and len(listeners) > MAX_LISTENERS:
        findings.append(_finding(document, "limits.maxItems", ("spec", "kafka", "listeners", MAX_LISTENERS),
                                 f"{len(listeners)} listeners, more than {MAX_LISTENERS}",
                                 f"at most {MAX_LISTENERS} listeners"))
    return findings


def _check_leaves(document: Document, kind: str, node, path: FieldPath, findings: list[Finding]) -> None:
    """_check_leaf's findings on every leaf under node, depth first; a string that no rule of
    _check_leaf looks at (most leaves) is passed by at once."""
    if isinstance(node, dict):
        for key, child in node.items():
            _check_leaves(document, kind, child, path + (key,), findings)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_leaves(document, kind, item, path + (index,), findings)
    elif not isinstance(node, str) or (path and _last_name(path) in _STRING_CHECKED_FIELDS):
        findings.extend(_check_leaf(document, path, node, kind))


def _notation(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += "[]" if isinstance(part, int) else ("." if out else "") + part
    return out


def _last_name(path: FieldPath):
    return path[-1] if isinstance(path[-1], str) else path[-2] if len(path) > 1 else None


def _check_leaf(document: Document, path: FieldPath, value, kind: str) -> Iterator[Finding]:
    if not path:
        return
    last = _last_name(path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        bound = BOUNDS.get((kind, _notation(path)))
        if bound is None and last in KUBERNETES_INT_FIELDS:
            bits = 32 if KUBERNETES_INT_FIELDS[last] == INT32_MAX else 64
            bound = (KUBERNETES_INT_FIELDS[last], f"the Kubernetes field is a {bits}-bit integer")
        if bound is not None and value > bound[0]:
            yield _finding(document, "limits.maximum", path,
                           f"{value} is more than {bound[0]} ({bound[1]})", f"at most {bound[0]}")
    if isinstance(value, str) and last in QUANTITY_FIELDS and len(value) > MAX_QUANTITY_CHARACTERS:
        yield _finding(document, "limits.maxLength", path,
                       f"a quantity of {len(value)} characters, more than {MAX_QUANTITY_CHARACTERS}",
                       f"a Kubernetes quantity of at most {MAX_QUANTITY_CHARACTERS} characters, such as 4Gi")
    elif isinstance(value, str) and last in QUANTITY_FIELDS and _quantity_too_large(value):
        yield _finding(document, "limits.maximum", path, f"{value!r} is more than a Kubernetes quantity holds",
                       "a quantity below 2^63")
    if isinstance(value, str) and last in HOST_FIELDS and "listeners" in path:
        problem = host_problem(value)
        if problem:
            yield _finding(document, "listener.host", path, f"{value!r} {problem}",
                           "a host name or IP address alone; the port is its own field "
                           "(advertisedPort, port, nodePort)")


def _quantity_too_large(value: str) -> bool:
    from .quantities import quantity_bytes

    try:
        return quantity_bytes(value) >= 2 ** 63
    except (ValueError, OverflowError):
        return False


def host_problem(host: str) -> str | None:
    """Why a listener's host name is not one (a port written into it), or None."""
    if ":" not in host:
        return None
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return "holds ':', which is neither a host name nor an IPv6 address: is it host:port?"
    return None


# --- across resources: node ids, heap against memory ------------------------------------------------

def check_model(model) -> list[Finding]:
    findings: list[Finding] = []
    for cluster in model.clusters:
        external = sum(listener.has_own_services for listener in cluster.listeners)
        brokers = sum(pool.replicas for pool in cluster.brokers)
        if external * brokers > MAX_PER_BROKER_SERVICES:
            findings.append(_finding(cluster.document, "limits.services", ("spec", "kafka", "listeners"),
                                     f"{external} listeners with a Service per broker, times {brokers} brokers, "
                                     f"give {external * brokers} Services, more than {MAX_PER_BROKER_SERVICES}",
                                     "fewer external listeners or brokers in one cluster"))
        for pool in cluster.pools:
            last_id = pool.first_node_id + max(pool.replicas - 1, 0)
            if last_id > MAX_NODE_ID:
                findings.append(_finding(pool.document, "limits.node-id", ("spec", "replicas"),
                                         f"the pool's node ids run to {last_id}, more than Kafka's largest node "
                                         f"id {MAX_NODE_ID}", "fewer replicas or a lower first node id"))
            findings.extend(_heap_over_limit(cluster, pool))
    return findings


def _heap_over_limit(cluster, pool) -> Iterator[Finding]:
    from .quantities import quantity_bytes

    if pool.document.get("spec", "jvmOptions") is not None:
        document, base = pool.document, ("spec", "jvmOptions")
    else:
        document, base = cluster.document, ("spec", "kafka", "jvmOptions")
    limit = (pool.resources.get("limits") or {}).get("memory") if isinstance(pool.resources, dict) else None
    if limit is None:
        return
    try:
        limit_bytes = quantity_bytes(limit)
    except ValueError:
        return
    for flag in ("-Xmx", "-Xms"):
        value = document.get(*base, flag)
        found = _HEAP.match(str(value)) if value is not None else None
        if found and int(found[1]) * _HEAP_UNITS[found[2].lower()] > limit_bytes:
            yield _finding(document, "jvm.heap-over-limit", base + (flag,),
                           f"{flag} {value} is more than node pool {pool.name}'s memory limit of {limit}: the JVM "
                           "would be killed for using more memory than the pod may",
                           "a heap well below the memory limit (at most three quarters of it), or a higher limit")


def _finding(document: Document, rule: str, path: FieldPath, message: str, expected: str,
             key: bool = False) -> Finding:
    return error(rule, f"{dotted(path)}: {message}", document.span_of(path, key=key), path, expected,
                 document.describe())
