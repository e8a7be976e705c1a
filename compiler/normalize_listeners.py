"""Listener settings that depend on the listener's type, and per-broker settings.

The schema accepts every `configuration` field on every listener; which type
takes which field, what a type requires, and that `brokers[].broker` names a
broker are checked here, each finding at the field's position. The per-broker
templates (`hostTemplate`, `advertisedPortTemplate`, ...) are rendered here for
every broker, into the `brokers[]` entries the later stages read.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .findings import Finding, error, warning
from .kube_syntax import LABEL_VALUE_WORDS, QUALIFIED_NAME_WORDS, label_value_problem, qualified_name_problem
from .document import Document
from .model import Listener, ListenerBootstrap, ListenerBroker, ListenerBrokerTemplates, NodePool

OWN_SERVICE_TYPES = ("cluster-ip", "nodeport", "loadbalancer", "route", "ingress")
# configuration fields (top level, of bootstrap, of brokers[]) -> the listener types that take them.
# A field not listed applies to every type, as in Strimzi: an internal listener takes
# `bootstrap.alternativeNames` and the brokers' advertised addresses (`brokers[].advertisedHost`,
# `advertisedPort` and their templates) too, for a service mesh, a proxy or a DNS alias.
TYPES_OF_FIELD = {
    "host": ("route", "ingress"),
    "nodePort": ("nodeport",),
    "loadBalancerIP": ("loadbalancer",),
    "annotations": OWN_SERVICE_TYPES,
    "labels": OWN_SERVICE_TYPES,
    "useServiceDnsDomain": ("internal", "cluster-ip"),
    "class": ("ingress", "loadbalancer"),
    "externalTrafficPolicy": ("nodeport", "loadbalancer"),
    "loadBalancerSourceRanges": ("loadbalancer",),
    "preferredNodePortAddressType": ("nodeport",),
    "ipFamilyPolicy": OWN_SERVICE_TYPES,
    "ipFamilies": OWN_SERVICE_TYPES,
    "hostTemplate": ("route", "ingress"),
    "perBrokerAnnotationsTemplate": OWN_SERVICE_TYPES,
    "perBrokerLabelsTemplate": OWN_SERVICE_TYPES,
    "finalizers": ("loadbalancer",),
}
# configuration fields that Strimzi reads only on some listener types and ignores on the others
IGNORED_UNLESS_TYPES = {
    "createBootstrapService": ("loadbalancer",),
    "allocateLoadBalancerNodePorts": ("loadbalancer",),
    "publishNotReadyAddresses": OWN_SERVICE_TYPES,
    "externalIPs": ("nodeport",),
}
TEMPLATE_PLACEHOLDERS = ("{nodeId}", "{nodePodName}")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$")  # the schema's #Hostname
# advertisedPortTemplate: whole numbers and {nodeId}, joined by +, - and *
# (numbers of at most 9 digits: Python refuses to read very long ones)
_PORT_TOKEN = re.compile(r"\s*(?:(\d{1,9})(?!\d)|(\{nodeId\})|([-+*]))")
MAX_PORT = 65535
MAX_SERVICE_NAME = 63  # a Service name is a DNS label
# Types whose clients connect through a TLS passthrough proxy that routes by SNI host name.
HOST_ROUTED_TYPES = ("route", "ingress")
# OpenShift gives a Route without a host one of its own; an Ingress has no such default.
HOST_REQUIRED_TYPES = ("ingress",)


def check_listener_fields(doc: Document, index: int, raw: dict, findings: list[Finding]) -> None:
    """Fields the listener's type does not take, and what route and ingress listeners require."""
    path = ("spec", "kafka", "listeners", index)
    kind = raw["type"]
    configuration = raw.get("configuration") or {}
    located = [((*path, "configuration", key), key) for key in configuration]
    bootstrap = configuration.get("bootstrap") or {}
    located += [((*path, "configuration", "bootstrap", key), key) for key in bootstrap]
    for i, broker in enumerate(configuration.get("brokers") or []):
        located += [((*path, "configuration", "brokers", i, key), key) for key in broker]
    for field_path, key in located:
        for types_of_field, finding, code, effect, because in (
                (TYPES_OF_FIELD, error, "listener.field-not-for-type", "does not apply to", ""),
                (IGNORED_UNLESS_TYPES, warning, "listener.field-ignored-for-type", "has no effect on",
                 ", as Strimzi ignores it there")):
            types = types_of_field.get(key)
            if types is not None and kind not in types:
                findings.append(finding(
                    code, f"{key} {effect} a listener of type {kind}{because}",
                    doc.span_of(field_path), field_path,
                    f"{key} only on listeners of type {', '.join(types)}; or remove it"))
    for field in ("perBrokerAnnotationsTemplate", "perBrokerLabelsTemplate"):
        for key in configuration.get(field) or {}:
            problem = qualified_name_problem(key)
            if problem:
                at = (*path, "configuration", field, key)
                findings.append(error(
                    "listener.template-invalid", f"{field} key {key!r} {problem}",
                    doc.span_of(at, key=True), at, QUALIFIED_NAME_WORDS))
    for i, finalizer in enumerate(configuration.get("finalizers") or ()):
        problem = qualified_name_problem(finalizer)
        if problem:
            at = (*path, "configuration", "finalizers", i)
            findings.append(error(
                "listener.finalizer-invalid", f"finalizer {finalizer!r} {problem}",
                doc.span_of(at), at, f"{QUALIFIED_NAME_WORDS}, as Kubernetes names finalizers"))
    if kind in HOST_ROUTED_TYPES and raw["tls"] is not True:
        findings.append(error(
            "listener.tls-required",
            f"{_a(kind)} listener passes TLS through to the brokers, routed by host name, so it "
            "needs TLS", doc.span_of((*path, "tls")), (*path, "tls"), "tls: true"))
    if kind in HOST_REQUIRED_TYPES and not bootstrap.get("host"):
        at = (*path, "configuration", "bootstrap") if bootstrap else (*path, "type")
        findings.append(error(
            "listener.host-required",
            "an ingress listener needs the host name of its bootstrap Ingress",
            doc.span_of(at), at, "configuration.bootstrap.host: a DNS name that reaches the "
            "cluster's ingress controller"))


def listener_settings(raw: dict) -> dict:
    """The type-specific settings of a listener, as `Listener` fields."""
    configuration = raw.get("configuration") or {}
    bootstrap = configuration.get("bootstrap") or {}
    return {
        "bootstrap": ListenerBootstrap(
            host=bootstrap.get("host"), node_port=bootstrap.get("nodePort"),
            load_balancer_ip=bootstrap.get("loadBalancerIP"),
            alternative_names=tuple(bootstrap.get("alternativeNames") or ()),
            annotations=dict(bootstrap.get("annotations") or {}),
            labels=dict(bootstrap.get("labels") or {}),
            external_ips=tuple(bootstrap.get("externalIPs") or ())),
        "brokers": tuple(ListenerBroker(
            broker=b["broker"], advertised_host=b.get("advertisedHost"),
            advertised_port=b.get("advertisedPort"), host=b.get("host"),
            node_port=b.get("nodePort"), load_balancer_ip=b.get("loadBalancerIP"),
            annotations=dict(b.get("annotations") or {}), labels=dict(b.get("labels") or {}),
            external_ips=tuple(b.get("externalIPs") or ()),
            written_metadata=frozenset(key for key in ("annotations", "labels") if b.get(key) is not None))
            for b in configuration.get("brokers") or ()),
        "broker_templates": ListenerBrokerTemplates(
            host=configuration.get("hostTemplate"),
            advertised_host=configuration.get("advertisedHostTemplate"),
            advertised_port=configuration.get("advertisedPortTemplate"),
            annotations=dict(configuration.get("perBrokerAnnotationsTemplate") or {}),
            labels=dict(configuration.get("perBrokerLabelsTemplate") or {})),
        "service_class": configuration.get("class"),
        "external_traffic_policy": configuration.get("externalTrafficPolicy"),
        "load_balancer_source_ranges": tuple(configuration.get("loadBalancerSourceRanges") or ()),
        "preferred_node_port_address_type": configuration.get("preferredNodePortAddressType"),
        "ip_family_policy": configuration.get("ipFamilyPolicy"),
        "ip_families": tuple(configuration.get("ipFamilies") or ()),
        "max_connections": configuration.get("maxConnections"),
        "max_connection_creation_rate": configuration.get("maxConnectionCreationRate"),
        "create_bootstrap_service": raw["type"] != "loadbalancer" or configuration.get("createBootstrapService", True),
        "publish_not_ready_addresses": configuration.get("publishNotReadyAddresses"),
        "allocate_load_balancer_node_ports": configuration.get("allocateLoadBalancerNodePorts"),
        "finalizers": tuple(configuration.get("finalizers") or ()),
    }


def check_listener_brokers(doc: Document, listeners: list[Listener], pools: list[NodePool],
                           findings: list[Finding]) -> None:
    """`brokers[].broker` names a broker once; ingresses name every broker's host."""
    broker_ids = sorted(node_id for pool in pools if pool.is_broker for node_id in pool.node_ids)
    accepted = f"a broker node id ({_id_list(broker_ids)})" if broker_ids else "no entry: there are no brokers"
    for index, listener in enumerate(listeners):
        path = ("spec", "kafka", "listeners", index, "configuration", "brokers")
        seen: set[int] = set()
        for i, broker in enumerate(listener.brokers):
            at = (*path, i, "broker")
            if broker.broker not in broker_ids:
                findings.append(warning(
                    "listener.unknown-broker", f"node {broker.broker} is not a broker of this "
                    "cluster, so this entry is ignored, as Strimzi ignores it",
                    doc.span_of(at), at, accepted))
            elif broker.broker in seen:
                findings.append(error(
                    "listener.duplicate-broker", f"broker {broker.broker} is configured twice",
                    doc.span_of(at), at, "one entry per broker"))
            seen.add(broker.broker)
        if listener.type not in HOST_REQUIRED_TYPES or not broker_ids:
            continue
        missing = [node_id for node_id in broker_ids if not listener.broker(node_id).host]
        if missing and not listener.broker_templates.host:
            at = path if listener.brokers else ("spec", "kafka", "listeners", index, "type")
            findings.append(error(
                "listener.host-required",
                f"an ingress listener needs a host name for every broker's Ingress; "
                f"brokers without one: {_id_list(missing)}",
                doc.span_of(at), at,
                f"configuration.brokers: an entry with broker and host for each of {_id_list(broker_ids)}, "
                "or configuration.hostTemplate"))


def apply_broker_templates(doc: Document, listeners: list[Listener], pools: list[NodePool],
                           findings: list[Finding]) -> list[Listener]:
    """The listeners with an entry in `brokers` for every broker, in which what the per-broker
    templates give fills what the broker's own entry does not set, as Strimzi renders them."""
    brokers = [(f"{doc.name}-{pool.name}-{node_id}", node_id)
               for pool in pools if pool.is_broker for node_id in pool.node_ids]
    return [_with_templates(doc, index, listener, brokers, findings)
            for index, listener in enumerate(listeners)]


def _with_templates(doc: Document, index: int, listener: Listener, brokers: list[tuple[str, int]],
                    findings: list[Finding]) -> Listener:
    templates = listener.broker_templates
    if templates == ListenerBrokerTemplates():
        return listener
    path = ("spec", "kafka", "listeners", index, "configuration")
    reported: set[str] = set()

    def report(field: str, message: str, accepted: str, at: tuple = ()) -> None:
        if field not in reported:
            reported.add(field)
            at = (*path, field, *at)
            findings.append(error("listener.template-invalid", message, doc.span_of(at), at, accepted))

    filled = []
    for pod_name, node_id in brokers:
        own = listener.broker(node_id)
        values = {"{nodeId}": str(node_id), "{nodePodName}": pod_name}
        filled.append(replace(
            own,
            host=own.host or _render_host(templates.host, "hostTemplate", values, report),
            advertised_host=own.advertised_host or _render_host(
                templates.advertised_host, "advertisedHostTemplate", values, report),
            advertised_port=own.advertised_port or _render_port(templates.advertised_port, node_id, report),
            annotations=own.annotations if "annotations" in own.written_metadata
            else _render_values(templates.annotations, values),
            labels=own.labels if "labels" in own.written_metadata
            else _render_labels(templates.labels, values, report)))
    ids = {node_id for _, node_id in brokers}
    others = tuple(broker for broker in listener.brokers if broker.broker not in ids)
    return replace(listener, brokers=(*filled, *others))


def _render(template: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def _render_host(template: str | None, field: str, values: dict[str, str], report) -> str | None:
    if template is None:
        return None
    host = _render(template, values)
    if "{" in host or "}" in host:
        report(field, f"{field} {template!r} has a placeholder other than {' and '.join(TEMPLATE_PLACEHOLDERS)}",
               f"a host name with the placeholders {' and '.join(TEMPLATE_PLACEHOLDERS)}")
        return None
    if not _HOSTNAME.match(host):
        report(field, f"{field} {template!r} gives {host!r}, which is not a host name",
               "letters, digits, '.', ':' and '-', starting and ending with a letter or digit")
        return None
    return host


def _render_values(template: dict, values: dict[str, str]) -> dict:
    return {key: _render(value, values) for key, value in template.items()}


def _render_labels(template: dict, values: dict[str, str], report) -> dict:
    labels = _render_values(template, values)
    for key, value in labels.items():
        problem = label_value_problem(value)
        if problem:
            report("perBrokerLabelsTemplate", f"perBrokerLabelsTemplate.{key} gives the label value "
                   f"{value!r}, which {problem}", LABEL_VALUE_WORDS, (key,))
            return {}
    return labels


def _render_port(template: str | None, node_id: int, report) -> int | None:
    """`advertisedPortTemplate` for one broker: a formula read as data, never run as code."""
    if template is None:
        return None
    port = port_formula_value(template, node_id)
    if port is None:
        report("advertisedPortTemplate", f"advertisedPortTemplate {template!r} is not a formula of whole "
               "numbers (of at most 9 digits) and {nodeId} joined by +, - and *",
               'a port formula such as "9000 + {nodeId}", or a port number')
        return None
    if not 1 <= port <= MAX_PORT:
        report("advertisedPortTemplate", f"advertisedPortTemplate {template!r} gives {port} for broker "
               f"{node_id}, not a port", f"a formula that gives 1 to {MAX_PORT} for every broker")
        return None
    return port


def port_formula_value(formula: str, node_id: int) -> int | None:
    """The value of `formula` (whole numbers and `{nodeId}` joined by `+`, `-` and `*`, with `*`
    first) for `node_id`; None when it is not such a formula."""
    tokens: list[str | int] = []
    position = 0
    while position < len(formula.rstrip()):
        match = _PORT_TOKEN.match(formula, position)
        if not match:
            return None
        number, placeholder, operator = match.groups()
        tokens.append(int(number) if number else node_id if placeholder else operator)
        position = match.end()
    # operands at even positions, operators at odd ones
    if len(tokens) % 2 == 0 or any(isinstance(t, str) == (i % 2 == 0) for i, t in enumerate(tokens)):
        return None
    terms: list[int] = [tokens[0]]
    signs: list[int] = [1]
    for operator, operand in zip(tokens[1::2], tokens[2::2]):
        if operator == "*":
            terms[-1] *= operand
        else:
            terms.append(operand)
            signs.append(1 if operator == "+" else -1)
    return sum(sign * term for sign, term in zip(signs, terms))


def check_object_names(doc: Document, listeners: list[Listener], pools: list[NodePool],
                       findings: list[Finding]) -> None:
    """A listener's Service names (`<cluster>-kafka-<listener>-bootstrap`,
    `<cluster>-<pool>-<listener>-<node id>`) fit the 63 characters of a DNS label."""
    for index, listener in enumerate(listeners):
        if not listener.has_own_services:
            continue
        names = [f"{doc.name}-kafka-{listener.name}-bootstrap"]
        names += [f"{doc.name}-{pool.name}-{listener.name}-{node_id}"
                  for pool in pools if pool.is_broker for node_id in pool.node_ids]
        longest = max(names, key=len)
        if len(longest) > MAX_SERVICE_NAME:
            at = ("spec", "kafka", "listeners", index, "name")
            findings.append(error(
                "listener.name-too-long",
                f"the listener's Service {longest} would be {len(longest)} characters long",
                doc.span_of(at), at,
                f"names of the cluster, its pools and this listener short enough for "
                f"{MAX_SERVICE_NAME} characters"))


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "ingress" else f"a {kind}"


def _id_list(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)
