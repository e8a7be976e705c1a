"""Listener settings that depend on the listener's type, and per-broker settings.

The schema accepts every `configuration` field on every listener; which type
takes which field, what a type requires, and that `brokers[].broker` names a
broker are checked here, each finding at the field's position.
"""

from __future__ import annotations

from .findings import Finding, error, warning
from .load import Document
from .model import Listener, ListenerBootstrap, ListenerBroker, NodePool

OWN_SERVICE_TYPES = ("cluster-ip", "nodeport", "loadbalancer", "route", "ingress")
# configuration fields (top level, of bootstrap, of brokers[]) -> the listener types that take them
TYPES_OF_FIELD = {
    "host": ("route", "ingress"),
    "nodePort": ("nodeport",),
    "loadBalancerIP": ("loadbalancer",),
    "annotations": OWN_SERVICE_TYPES,
    "labels": OWN_SERVICE_TYPES,
    "alternativeNames": OWN_SERVICE_TYPES,
    "advertisedHost": OWN_SERVICE_TYPES,
    "advertisedPort": OWN_SERVICE_TYPES,
    "bootstrap": OWN_SERVICE_TYPES,
    "brokers": OWN_SERVICE_TYPES,
    "class": ("ingress", "loadbalancer"),
    "externalTrafficPolicy": ("nodeport", "loadbalancer"),
    "loadBalancerSourceRanges": ("loadbalancer",),
    "preferredNodePortAddressType": ("nodeport",),
    "ipFamilyPolicy": OWN_SERVICE_TYPES,
    "ipFamilies": OWN_SERVICE_TYPES,
}
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
        types = TYPES_OF_FIELD.get(key)
        if types is not None and kind not in types:
            findings.append(error(
                "listener.field-not-for-type",
                f"{key} does not apply to a listener of type {kind}",
                doc.span_of(field_path), field_path,
                f"{key} only on listeners of type {', '.join(types)}; or remove it"))
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
            labels=dict(bootstrap.get("labels") or {})),
        "brokers": tuple(ListenerBroker(
            broker=b["broker"], advertised_host=b.get("advertisedHost"),
            advertised_port=b.get("advertisedPort"), host=b.get("host"),
            node_port=b.get("nodePort"), load_balancer_ip=b.get("loadBalancerIP"),
            annotations=dict(b.get("annotations") or {}), labels=dict(b.get("labels") or {}))
            for b in configuration.get("brokers") or ()),
        "service_class": configuration.get("class"),
        "external_traffic_policy": configuration.get("externalTrafficPolicy"),
        "load_balancer_source_ranges": tuple(configuration.get("loadBalancerSourceRanges") or ()),
        "preferred_node_port_address_type": configuration.get("preferredNodePortAddressType"),
        "ip_family_policy": configuration.get("ipFamilyPolicy"),
        "ip_families": tuple(configuration.get("ipFamilies") or ()),
        "max_connections": configuration.get("maxConnections"),
        "max_connection_creation_rate": configuration.get("maxConnectionCreationRate"),
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
        if missing:
            at = path if listener.brokers else ("spec", "kafka", "listeners", index, "type")
            findings.append(error(
                "listener.host-required",
                f"an ingress listener needs a host name for every broker's Ingress; "
                f"brokers without one: {_id_list(missing)}",
                doc.span_of(at), at,
                f"configuration.brokers: an entry with broker and host for each of {_id_list(broker_ids)}"))


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
