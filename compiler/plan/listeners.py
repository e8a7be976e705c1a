"""Listeners with Services of their own: their Services, Routes and Ingresses, the addresses
brokers advertise on them, and the init container that finds the addresses the platform assigns;
and the addresses that `brokers[]` gives brokers on internal listeners in their place.

Placed by templates/listeners/; a broker's advertised addresses by templates/broker/.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..model import DEFAULT_KUBECTL_IMAGE, Cluster, Listener, ListenerBootstrap, ListenerBroker, NodePool
from .naming import (added_labels, broker_pod_selector, brokers_selector, cluster_names, listener_bootstrap_name,
                     listener_broker_name, pod_name, port_name)
from .pods import CONFIG_DIR, CONTAINER_SECURITY_CONTEXT, SCRIPTS_DIR, env_list, metadata_of

ADDRESS_INIT_DIR = "/opt/kafka/address"  # where the address init container writes what it found
_ADDRESSES_FILE = "advertised-addresses"
# How long the address init container waits for a load balancer's address.
_ADDRESS_WAIT_SECONDS = 600
_HOST_ROUTED_PORT = 443  # routers and ingress controllers take TLS on 443
# ingress-nginx hands the TLS connection to the broker untouched, routed by its SNI host name.
_INGRESS_PASSTHROUGH_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/ssl-passthrough": "true",
    "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
}
_SERVICE_TYPES = {"cluster-ip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "route": "ClusterIP", "ingress": "ClusterIP"}


def service_port(listener: Listener) -> dict:
    return {"name": port_name(listener), "port": listener.port, "targetPort": listener.port,
            "protocol": "TCP"}


def _own_service_listeners(cluster: Cluster) -> list[Listener]:
    return [listener for listener in cluster.listeners if listener.has_own_services]


def service_dns_suffix(listener: Listener) -> str:
    """What completes a Service or pod name the listener advertises, after the namespace."""
    return "svc.cluster.local" if listener.use_service_dns_domain else "svc"


def pinned_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """The listeners on which the pool's brokers advertise what the pool's ConfigMap says for each:
    those with Services of their own, and internal ones on which `brokers[]` replaces the address
    of a broker of the pool (its other brokers advertise their pod's DNS name there, as elsewhere)."""
    if not pool.is_broker:
        return []
    return [listener for listener in cluster.listeners if listener.has_own_services or any(
        broker.advertised_host or broker.advertised_port
        for broker in map(listener.broker, pool.node_ids))]


def _broker_nodes(cluster: Cluster) -> list[tuple[NodePool, int]]:
    return [(pool, node_id) for pool in cluster.brokers for node_id in pool.node_ids]


def listener_objects(cluster: Cluster) -> dict:
    """The Services, Routes and Ingresses of every listener that is not "internal"."""
    services, routes, ingresses = [], [], []
    for listener in _own_service_listeners(cluster):
        bootstrap = listener.bootstrap
        name = listener_bootstrap_name(cluster, listener)
        if listener.create_bootstrap_service:
            services.append(_listener_service(
                listener, name, brokers_selector(cluster), bootstrap,
                _metadata(cluster.external_bootstrap_service_template, bootstrap)))
        if listener.type == "route":
            routes.append(route(listener, name, bootstrap.host,
                                _metadata(cluster.external_bootstrap_route_template, bootstrap)))
        elif listener.type == "ingress":
            ingresses.append(ingress(listener, name, bootstrap.host,
                                     _metadata(cluster.external_bootstrap_ingress_template, bootstrap)))
        for pool, node_id in _broker_nodes(cluster):
            broker = listener.broker(node_id)
            name = listener_broker_name(cluster, listener, pool, node_id)
            selector = broker_pod_selector(cluster, pool, node_id)
            services.append(_listener_service(listener, name, selector, broker,
                                              _metadata(pool.template.per_pod_service, broker)))
            if listener.type == "route":
                routes.append(route(listener, name, broker.host, _metadata(pool.template.per_pod_route, broker)))
            elif listener.type == "ingress":
                ingresses.append(ingress(listener, name, broker.host,
                                         _metadata(pool.template.per_pod_ingress, broker)))
    return {"services": services, "routes": routes, "ingresses": ingresses}


def _metadata(template_section: dict, settings: ListenerBootstrap | ListenerBroker) -> dict:
    """An object's labels and annotations: the template section's, with the listener's own over them."""
    template = metadata_of(template_section)
    return {"labels": {**template["labels"], **added_labels(settings.labels)},
            "annotations": {**template["annotations"], **settings.annotations}}


def _listener_service(listener: Listener, name: str, selector: dict,
                      settings: ListenerBootstrap | ListenerBroker, metadata: dict) -> dict:
    """A bootstrap or per-broker Service, with the listener's settings and the entry's own."""
    port = service_port(listener)
    if settings.node_port is not None:
        port["nodePort"] = settings.node_port
    spec: dict = {"type": _SERVICE_TYPES[listener.type]}
    if listener.ip_family_policy:
        spec["ipFamilyPolicy"] = listener.ip_family_policy
    if listener.ip_families:
        spec["ipFamilies"] = list(listener.ip_families)
    if listener.external_traffic_policy:
        spec["externalTrafficPolicy"] = listener.external_traffic_policy
    if listener.publish_not_ready_addresses is not None:
        spec["publishNotReadyAddresses"] = listener.publish_not_ready_addresses
    if listener.type == "nodeport" and settings.external_ips:
        spec["externalIPs"] = list(settings.external_ips)
    finalizers: list[str] = []
    if listener.type == "loadbalancer":
        if settings.load_balancer_ip:
            spec["loadBalancerIP"] = settings.load_balancer_ip
        if listener.service_class:
            spec["loadBalancerClass"] = listener.service_class
        if listener.load_balancer_source_ranges:
            spec["loadBalancerSourceRanges"] = list(listener.load_balancer_source_ranges)
        if listener.allocate_load_balancer_node_ports is not None:
            spec["allocateLoadBalancerNodePorts"] = listener.allocate_load_balancer_node_ports
        finalizers = list(listener.finalizers)
    spec.update({"selector": selector, "ports": [port]})
    service = {"name": name, **metadata, "spec": spec}
    if finalizers:
        service["finalizers"] = finalizers
    return service


def route(listener: Listener, name: str, host: str | None, metadata: dict) -> dict:
    """An OpenShift Route that passes TLS through to the Service of the same name; without a
    host, OpenShift gives it one (`<name>-<namespace>.<the router's domain>`)."""
    spec = {"host": host} if host else {}
    spec.update({
        "to": {"kind": "Service", "name": name, "weight": 100},
        "port": {"targetPort": port_name(listener)},
        "tls": {"termination": "passthrough"},
        # OpenShift's default, written out: the Route schema rejects an absent host unless
        # wildcardPolicy is known not to be Subdomain, and kubeconform applies no defaults.
        "wildcardPolicy": "None",
    })
    return {"name": name, **metadata, "spec": spec}


def ingress(listener: Listener, name: str, host: str, metadata: dict) -> dict:
    """An Ingress that passes TLS through (ingress-nginx) to the Service of the same name."""
    spec: dict = {}
    if listener.service_class:
        spec["ingressClassName"] = listener.service_class
    spec.update({
        "rules": [{"host": host, "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": name, "port": {"number": listener.port}}}}]}}],
        "tls": [{"hosts": [host]}],
    })
    return {"name": name, "labels": metadata["labels"],
            "annotations": {**_INGRESS_PASSTHROUGH_ANNOTATIONS, **metadata["annotations"]}, "spec": spec}


@dataclass(frozen=True)
class _AdvertisedAddress:
    """What a broker advertises on a listener; None is found at start-up by the address init container.

    `dns_suffix` set means the host is a Service name that the start script
    completes with `.<namespace>.<dns_suffix>`.
    """

    host: str | None
    port: int | None
    dns_suffix: str | None = None


def _advertised_address(cluster: Cluster, listener: Listener, pool: NodePool,
                        node_id: int) -> _AdvertisedAddress:
    """Strimzi's advertised address per type, with what `brokers[]` pins taking precedence."""
    broker = listener.broker(node_id)
    suffix = None
    if listener.type in ("route", "ingress"):
        host, port = broker.host, _HOST_ROUTED_PORT
    elif listener.type == "cluster-ip":
        host, port = listener_broker_name(cluster, listener, pool, node_id), listener.port
        suffix = service_dns_suffix(listener)
    elif listener.type == "internal":  # the pod's name in the headless Service
        host = f"{pod_name(cluster, pool, node_id)}.{cluster_names(cluster).brokers_service}"
        port, suffix = listener.port, service_dns_suffix(listener)
    elif listener.type == "nodeport":
        host, port = None, broker.node_port
    else:  # loadbalancer: its address is known once the platform has made it
        host, port = None, listener.port
    if broker.advertised_host:
        host, suffix = broker.advertised_host, None
    if broker.advertised_port:
        port = broker.advertised_port
    return _AdvertisedAddress(host, port, suffix)


def advertised_addresses_file(cluster: Cluster, pool: NodePool) -> str:
    """The pool's advertised addresses on its pinned listeners, one line per broker and listener:
    `<node id> <listener> <host> <port> <dns suffix>`, `-` for what the init container finds."""
    lines = []
    for node_id in pool.node_ids:
        for listener in pinned_listeners(cluster, pool):
            address = _advertised_address(cluster, listener, pool, node_id)
            lines.append(" ".join(str(part) if part is not None else "-" for part in (
                node_id, listener.identifier, address.host, address.port, address.dns_suffix)))
    return "".join(f"{line}\n" for line in lines)


def _discovering_nodes(cluster: Cluster, listener: Listener, pool: NodePool) -> list[int]:
    """The brokers of the pool that learn their address on the listener when they start."""
    if not pool.is_broker:
        return []
    addresses = {node_id: _advertised_address(cluster, listener, pool, node_id) for node_id in pool.node_ids}
    return [node_id for node_id, address in addresses.items() if address.host is None or address.port is None]


def _discovered_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    """The listeners on which some broker of the pool learns its address when it starts."""
    return [listener for listener in _own_service_listeners(cluster)
            if _discovering_nodes(cluster, listener, pool)]


def discovers_node_address(cluster: Cluster) -> bool:
    return any(listener.type == "nodeport" for pool in cluster.brokers
               for listener in _discovered_listeners(cluster, pool))


def address_discovery(cluster: Cluster) -> dict | None:
    """The Role that lets brokers read their own Services or Routes, by name, to learn their addresses."""
    discovered = [(listener.type, listener_broker_name(cluster, listener, pool, node_id))
                  for pool in cluster.brokers for listener in _discovered_listeners(cluster, pool)
                  for node_id in _discovering_nodes(cluster, listener, pool)]
    if not discovered:
        return None
    return {"roleName": f"{cluster_names(cluster).kafka}-address",
            "serviceNames": [name for kind, name in discovered if kind != "route"],
            "routeNames": [name for kind, name in discovered if kind == "route"]}


def address_init_container(cluster: Cluster, pool: NodePool) -> list[dict]:
    """`kafka-address`: reads the pod's own Services or Routes (and Node) and writes the addresses
    to advertise."""
    listeners = _discovered_listeners(cluster, pool)
    if not listeners:
        return []
    entries = [f"{l.identifier}:{l.type}:{l.name}:{l.preferred_node_port_address_type or '-'}:"
               + ",".join(str(node_id) for node_id in _discovering_nodes(cluster, l, pool))
               for l in listeners]
    return [{
        "name": "kafka-address",
        "image": DEFAULT_KUBECTL_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/bash", f"{SCRIPTS_DIR}/kafka-address.sh"],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            *env_list({
                "KAFKAC_DISCOVER": " ".join(entries),
                "KAFKAC_ADDRESS_DIR": ADDRESS_INIT_DIR,
                "KAFKAC_ADDRESS_WAIT_SECONDS": str(_ADDRESS_WAIT_SECONDS),
                "HOME": "/tmp",
            }),
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": CONTAINER_SECURITY_CONTEXT,
        "volumeMounts": [{"name": "kafkac-scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
                         {"name": "address-volume", "mountPath": ADDRESS_INIT_DIR},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }]


def external_address_env(cluster: Cluster, pool: NodePool) -> dict:
    """Where kafka-run.sh finds the addresses it advertises on the pool's pinned listeners."""
    pinned = [l.identifier for l in pinned_listeners(cluster, pool)]
    if not pinned:
        return {}
    # "EXTERNAL" is older than pinned internal listeners; a new name would restart every broker.
    env = {"KAFKAC_EXTERNAL_LISTENERS": " ".join(pinned),
           "KAFKAC_PINNED_ADDRESSES_FILE": f"{CONFIG_DIR}/{_ADDRESSES_FILE}"}
    if address_init_container(cluster, pool):
        env["KAFKAC_DISCOVERED_ADDRESSES_FILE"] = f"{ADDRESS_INIT_DIR}/{_ADDRESSES_FILE}"
    return env


def external_names(cluster: Cluster) -> tuple[list[str], list[str]]:
    """Names and IP addresses known at compile time that clients reach brokers at, besides the
    cluster's Services, for the node certificate: route and ingress hosts, advertised hosts, load
    balancer IPs and bootstrap alternative names, of every listener; on an internal listener, its
    advertised hosts only with TLS, as Strimzi certifies them."""
    names: list[str] = []
    broker_ids = {node_id for pool in cluster.brokers for node_id in pool.node_ids}
    for listener in cluster.listeners:
        names.extend([listener.bootstrap.host, listener.bootstrap.load_balancer_ip,
                      *listener.bootstrap.alternative_names])
        # An entry for a node that is no broker is ignored (listener.unknown-broker): none of its names.
        for broker in (b for b in listener.brokers if b.broker in broker_ids):
            names.extend([broker.host, broker.load_balancer_ip])
            if listener.has_own_services or listener.tls:
                names.append(broker.advertised_host)
    unique = sorted({name.lower() for name in names if name})
    # IPv6 in full hex groups: the certificates Job writes them as openssl prints them
    # (ipv6-text.awk), and reads no IPv4 tail (::ffff:1.2.3.4).
    ips = [ipaddress.ip_address(name).exploded for name in unique if _is_ip_address(name)]
    return [name for name in unique if not _is_ip_address(name)], ips


def address_objects(cluster: Cluster) -> dict:
    """The listeners' objects whose addresses the platform assigns, for the node certificate:
    the load balancer Services and the Routes without a host in the spec."""
    services, routes = [], []
    for listener in _own_service_listeners(cluster):
        bootstrap = (listener_bootstrap_name(cluster, listener), listener.bootstrap.host)
        names = [bootstrap] if listener.create_bootstrap_service else []
        names += [(listener_broker_name(cluster, listener, pool, node_id), listener.broker(node_id).host)
                  for pool, node_id in _broker_nodes(cluster)]
        if listener.type == "loadbalancer":
            services.extend(name for name, _ in names)
        elif listener.type == "route":
            routes.extend(name for name, host in names if not host)
    return {"services": services, "routes": routes}


def cluster_ip_service_names(cluster: Cluster) -> list[str]:
    """The Services of cluster-ip listeners, whose names their brokers advertise."""
    names = []
    for listener in _own_service_listeners(cluster):
        if listener.type == "cluster-ip":
            names.append(listener_bootstrap_name(cluster, listener))
            names.extend(listener_broker_name(cluster, listener, pool, node_id)
                         for pool, node_id in _broker_nodes(cluster))
    return names


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
