"""The Kafka nodes: one StatefulSet a node pool, and what every node shares (Services,
PodDisruptionBudget, ServiceAccount, rack RBAC, NetworkPolicy).

Placed by templates/broker/. The nodes' configuration files are broker_config's.
"""

from __future__ import annotations

import copy

from ..model import Cluster, Listener, NodePool, Volume, kafka_minor
from .broker_config import (jvm_env, log4j_java_option, logging_file_name, migrating, node_cert_listeners,
                            server_properties, zookeeper_broker)
from .listeners import (ADDRESS_INIT_DIR, address_init_container, advertised_addresses_file,
                        discovers_node_address, external_address_env, pinned_listeners, service_dns_suffix,
                        service_port)
from .jmx import (JMX_PORT, jmx_container_ports, jmx_env, jmx_service_ports, jmx_volume_mounts,
                  jmx_volumes)
from .metrics import METRICS_PORT, metrics_container_ports, metrics_env, metrics_volume_mounts, metrics_volumes
from .naming import (CONTROL_PLANE, REPLICATION, claim_labels, cluster_id, cluster_names, hook_pod_labels,
                     kafka_pods_selector, pod_name, pool_config_map_name, pool_labels, pool_selector,
                     port_name, statefulset_name)
from .pods import (CERTIFICATES_DIR, CLIENTS_CA_CERTS_DIR, CLUSTER_CA_CERTS_DIR, CONFIG_DIR,
                   CONTAINER_SECURITY_CONTEXT, NODE_CERTS_DIR, POD_SECURITY_CONTEXT, PROBE_DEFAULTS, SCRIPTS_DIR,
                   WORK_DIR, ca_cert_volume, env_list, metadata_of, node_certs_volume, node_volume_mounts, pod_spec)

_TMP_SIZE_LIMIT = "100Mi"
_RACK_INIT_DIR = "/opt/kafka/init"


def services(cluster: Cluster) -> dict:
    """The bootstrap Service clients start from, and the headless Service that names every node."""
    return {
        "bootstrap": {
            "name": cluster_names(cluster).bootstrap_service,
            # The replication port too, as in Strimzi: Kafka Exporter bootstraps from it.
            "ports": [service_port(listener) for listener in (REPLICATION, *cluster.listeners)
                      if not listener.has_own_services],
            **metadata_of(cluster.bootstrap_service_template),
            **_service_ip_families(cluster.bootstrap_service_template),
        },
        "brokers": {
            "name": cluster_names(cluster).brokers_service,
            "ports": [service_port(listener)
                      for listener in (*_control_plane(cluster), REPLICATION, *cluster.listeners)
                      if not listener.has_own_services] + jmx_service_ports(cluster),
            "selector": kafka_pods_selector(cluster),
            **metadata_of(cluster.brokers_service_template),
            **_service_ip_families(cluster.brokers_service_template),
        },
    }


def _control_plane(cluster: Cluster) -> tuple[Listener, ...]:
    """The KRaft controller listener; a cluster in ZooKeeper mode has none until its migration."""
    return (CONTROL_PLANE,) if cluster.controllers else ()


def pod_disruption_budget(cluster: Cluster) -> dict:
    return {
        "name": cluster_names(cluster).kafka,
        "maxUnavailable": cluster.pod_disruption_budget_template.get("maxUnavailable", 1),
        "selector": kafka_pods_selector(cluster),
        **metadata_of(cluster.pod_disruption_budget_template),
    }


def service_account(cluster: Cluster) -> dict:
    return {"name": cluster_names(cluster).kafka, **metadata_of(cluster.service_account_template)}


def _service_ip_families(template_section: dict) -> dict:
    return {key: template_section[key] for key in ("ipFamilyPolicy", "ipFamilies") if key in template_section}


def rack_awareness(cluster: Cluster) -> dict | None:
    """RBAC for reading the node a broker runs on: its topology label (topology-label racks) or
    its addresses (nodeport listeners whose brokers find their address at start-up)."""
    if (cluster.rack is None or cluster.rack.type != "topology-label") and not discovers_node_address(cluster):
        return None
    return {"clusterRoleBindingName": f"{cluster_names(cluster).kafka}-init",
            **metadata_of(cluster.cluster_role_binding_template)}


def network_policy(cluster: Cluster) -> dict | None:
    """Strimzi's NetworkPolicy of the Kafka pods, when a listener names who may connect to it.

    The control plane port is open to the Kafka pods, the replication port to them
    and to the chart's own clients of it (the topics and users Jobs, Kafka
    Exporter), each listener's port to its peers (to everyone without them), and
    the metrics and JMX ports to everyone, as Strimzi's. Without peers on any listener
    there is none: every port is open, as Strimzi's policy would leave them.
    """
    if not any(listener.network_policy_peers for listener in cluster.listeners):
        return None
    kafka_pods = {"podSelector": {"matchLabels": kafka_pods_selector(cluster)}}
    components = [component for component, present in (
        ("topics", cluster.manage_topics), ("users", cluster.manage_users),
        ("kafka-exporter", cluster.kafka_exporter is not None)) if present]
    replication_clients = [kafka_pods] + [{"podSelector": {"matchLabels": hook_pod_labels(cluster, component)}}
                                          for component in components]

    def rule(port: int, peers: list[dict]) -> dict:
        return {"ports": [{"port": port, "protocol": "TCP"}], **({"from": peers} if peers else {})}

    rules = [rule(listener.port, [kafka_pods]) for listener in _control_plane(cluster)]
    rules.append(rule(REPLICATION.port, replication_clients))
    rules += [rule(listener.port, list(listener.network_policy_peers)) for listener in cluster.listeners]
    if cluster.metrics is not None:
        rules.append(rule(METRICS_PORT, []))
    if cluster.jmx is not None:
        rules.append(rule(JMX_PORT, []))
    return {"name": cluster_names(cluster).network_policy, "spec": {
        "podSelector": kafka_pods["podSelector"], "policyTypes": ["Ingress"], "ingress": rules}}


def _pool_listeners(cluster: Cluster, pool: NodePool) -> list[Listener]:
    listeners = []
    if pool.is_controller:
        listeners.append(CONTROL_PLANE)
    if pool.is_broker:
        listeners.append(REPLICATION)
        listeners.extend(cluster.listeners)
    return listeners


def deployed(cluster: Cluster, pool: NodePool) -> bool:
    """Whether the pool's nodes run. The rollback of a migration from ZooKeeper removes the
    controllers first and leaves the brokers as they run (their configuration still names the
    controllers) until strimzi.io/kraft: disabled, as Kafka's rollback goes."""
    return not (cluster.kraft_migration == "rollback" and pool.is_controller)


def pool_values(cluster: Cluster, pool: NodePool) -> dict:
    listeners = _pool_listeners(cluster, pool)
    probe_port = REPLICATION.port if pool.is_broker else CONTROL_PLANE.port
    pod = pool.template.pod
    labels = pool_labels(cluster, pool)
    return {
        "name": pool.name,
        "statefulSetName": statefulset_name(cluster, pool),
        "configMapName": pool_config_map_name(cluster, pool),
        "replicas": pool.replicas,
        "firstNodeId": pool.first_node_id,
        "roles": list(pool.roles),
        "labels": labels,
        "selectorLabels": pool_selector(cluster, pool),
        "statefulSetMetadata": metadata_of(pool.template.pod_set),
        "podMetadata": metadata_of(pod),
        "serverProperties": server_properties(cluster, pool, listeners),
        "env": _pool_env(cluster, pool, listeners),
        "ports": [{"name": port_name(listener), "containerPort": listener.port, "protocol": "TCP"}
                  for listener in listeners] + metrics_container_ports(cluster) + jmx_container_ports(cluster),
        "probePort": probe_port,
        "readinessProbe": {**PROBE_DEFAULTS, **cluster.readiness_probe},
        "livenessProbe": {**PROBE_DEFAULTS, **cluster.liveness_probe},
        "resources": pool.resources,
        "podSpec": _node_pod_spec(cluster, pool),
        "initContainers": _init_containers(cluster, pool) + address_init_container(cluster, pool),
        "advertisedAddresses": advertised_addresses_file(cluster, pool),
        "containerSecurityContext": pool.template.kafka_container.get("securityContext",
                                                                     CONTAINER_SECURITY_CONTEXT),
        "volumes": _pool_volumes(cluster, pool),
        "volumeMounts": _pool_volume_mounts(cluster, pool),
        "volumeClaimTemplates": _volume_claim_templates(cluster, pool),
        "persistentVolumeClaimRetentionPolicy": _claim_retention_policy(pool),
    }


def _node_pod_spec(cluster: Cluster, pool: NodePool) -> dict:
    """Pod-level fields: Kafka's defaults, then what template.pod sets."""
    # Only the rack and address init containers talk to the Kubernetes API.
    needs_api = pool.is_broker and cluster.rack is not None and cluster.rack.type == "topology-label"
    needs_api = needs_api or bool(address_init_container(cluster, pool))
    spec = pod_spec(pool.template.pod, cluster_names(cluster).kafka, needs_api, POD_SECURITY_CONTEXT)
    if cluster.rack is not None and cluster.rack.type == "topology-label":
        spec["affinity"] = _with_rack_node_affinity(spec.get("affinity"), cluster.rack.topology_key)
    return spec


def _with_rack_node_affinity(affinity: dict | None, topology_key: str) -> dict:
    """The template's affinity, with Strimzi's rack rule: a node must carry the topology label.
    Every required node selector term the template has requires it too (terms are ORed), or
    it is the one term. Strimzi no longer adds a preferred pod anti-affinity on the topology key
    (its proposal "Remove default Pod anti-affinity rules when rack awareness is enabled")."""
    merged = copy.deepcopy(affinity or {})
    exists = {"key": topology_key, "operator": "Exists"}
    required = merged.setdefault("nodeAffinity", {}).setdefault(
        "requiredDuringSchedulingIgnoredDuringExecution", {})
    terms = required.get("nodeSelectorTerms") or [{}]
    required["nodeSelectorTerms"] = [{**term, "matchExpressions": [*(term.get("matchExpressions") or []), exists]}
                                     for term in terms]
    return merged


def _init_containers(cluster: Cluster, pool: NodePool) -> list[dict]:
    """Strimzi's kafka-init, which writes the node's topology label to rack.id."""
    if not (pool.is_broker and cluster.rack and cluster.rack.type == "topology-label"):
        return []
    init = pool.template.init_container
    return [{
        "name": "kafka-init",
        "image": cluster.rack.init_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/opt/strimzi/bin/kafka_init_run.sh"],
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "RACK_TOPOLOGY_KEY", "value": cluster.rack.topology_key},
            {"name": "INIT_FOLDER", "value": _RACK_INIT_DIR},
            *init.get("env", []),
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": init.get("securityContext", CONTAINER_SECURITY_CONTEXT),
        "volumeMounts": [{"name": "rack-volume", "mountPath": _RACK_INIT_DIR},
                         *init.get("volumeMounts", [])],
    }]


def _advertised_listeners(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> list[Listener]:
    """The listeners a node advertises at its pod's DNS name, all of them the same way (the pool's
    ConfigMap says what it advertises on the others). Kafka 3.7 and 3.8 refuse any advertised
    listener on a controller-only node; from 3.9 (KIP-853) a controller advertises its own."""
    if not pool.is_broker and kafka_minor(cluster.kafka_version) < (3, 9):
        return []
    pinned = {l.identifier for l in pinned_listeners(cluster, pool)}
    return [l for l in listeners if l.identifier not in pinned]


def _pool_env(cluster: Cluster, pool: NodePool, listeners: list[Listener]) -> list[dict]:
    """Plain environment for kafka-run.sh; the pod's own name and namespace come from the API."""
    voters = [f"{node_id}@{pod_name(cluster, voter, node_id)}:{CONTROL_PLANE.port}"
              for voter in cluster.controllers for node_id in voter.node_ids]
    advertised = [f"{l.identifier}:{l.port}:{service_dns_suffix(l)}"
                  for l in _advertised_listeners(cluster, pool, listeners)]
    data_dirs = [v.mount_path for v in pool.volumes]
    metadata_dir = next((v.mount_path for v in pool.volumes if v.kraft_metadata), "")
    custom_cert_listeners = [l.identifier.lower() for l in listeners if l.tls and l.cert_secret]
    env = {
        "KAFKAC_CLUSTER_ID": cluster_id(cluster),
        "KAFKAC_METADATA_VERSION": cluster.metadata_version or "",
        "KAFKAC_HEADLESS_SERVICE": cluster_names(cluster).brokers_service,
        "KAFKAC_CONTROLLER_VOTERS": " ".join(voters),
        "KAFKAC_ADVERTISED_LISTENERS": " ".join(advertised),
        "KAFKAC_LOG_DIRS": " ".join(data_dirs),
        "KAFKAC_METADATA_LOG_DIR": metadata_dir,
        "KAFKAC_CUSTOM_CERT_LISTENERS": " ".join(custom_cert_listeners),
        "KAFKAC_NODE_CERT_LISTENERS": " ".join(l.identifier.lower()
                                               for l in node_cert_listeners(cluster, pool)),
        "KAFKAC_CONFIG_DIR": CONFIG_DIR,
        "KAFKAC_CERTIFICATES_DIR": CERTIFICATES_DIR,
        "KAFKAC_NODE_CERTS_DIR": NODE_CERTS_DIR,
        "KAFKAC_CLUSTER_CA_CERTS_DIR": CLUSTER_CA_CERTS_DIR,
        "KAFKAC_WORK_DIR": WORK_DIR,
        "KAFKA_LOG4J_OPTS": log4j_java_option(logging_file_name(cluster.kafka_version), SCRIPTS_DIR),
        "LOG_DIR": f"{WORK_DIR}/logs",
        # kafka-server-start.sh adds -loggc by default: GC logs of up to 1 GB in
        # the small scratch volume. GC logging is off unless asked for, as in Strimzi.
        "EXTRA_ARGS": "-name kafkaServer",
    }
    if zookeeper_broker(cluster, pool):
        # broker.id instead of node.id and no KRaft storage to format (kafka-run.sh).
        env["KAFKAC_ZOOKEEPER_MODE"] = "true"
    if zookeeper_broker(cluster, pool) or migrating(cluster):
        # The key store password of the node's ZooKeeper client (kafka-run.sh).
        env["KAFKAC_ZOOKEEPER_CLIENT"] = "true"
    if migrating(cluster) and pool.is_controller:
        # Formatted with the cluster id ZooKeeper keeps, which the brokers already have (kafka-run.sh).
        env["KAFKAC_CLUSTER_ID_FROM_ZOOKEEPER"] = "true"
    if cluster.kraft_migration == "enabled" and pool.is_controller:
        # Out of migration mode only once every broker left ZooKeeper (kafka-run.sh).
        env["KAFKAC_MIGRATION_BROKER_IDS"] = " ".join(str(i) for p in cluster.brokers for i in p.node_ids)
    if cluster.controller_quorum == "dynamic":
        # controller.quorum.bootstrap.servers instead of voters, and a format that lets the
        # controllers join the quorum (kafka-run.sh).
        env["KAFKAC_CONTROLLER_QUORUM"] = "dynamic"
    if pool.is_broker and cluster.rack is not None:
        if cluster.rack.type == "topology-label":
            env["KAFKAC_RACK_FILE"] = f"{_RACK_INIT_DIR}/rack.id"
        else:
            env["KAFKAC_RACK_ENV_VAR"] = cluster.rack.env_var_name
    env.update(external_address_env(cluster, pool))
    env.update(jvm_env(pool.jvm_options, pool.resources))
    env.update(metrics_env(cluster))
    env.update(jmx_env(cluster))
    user_env = pool.template.kafka_container.get("env", [])
    return env_list(env) + list(user_env)


def _pool_volumes(cluster: Cluster, pool: NodePool) -> list[dict]:
    volumes: list[dict] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": str(pool.template.pod.get("tmpDirSizeLimit", _TMP_SIZE_LIMIT))}},
        {"name": "kafka-config", "configMap": {"name": pool_config_map_name(cluster, pool)}},
        {"name": "kafkac-scripts", "configMap": {"name": cluster_names(cluster).scripts_config_map}},
        # Created by the certificates Job; the pod waits for them to exist.
        ca_cert_volume("cluster-ca-cert", cluster_names(cluster).cluster_ca_cert_secret),
        node_certs_volume("node-certs", cluster),
    ]
    for volume in pool.volumes:
        if volume.type == "ephemeral":
            empty_dir = {"sizeLimit": volume.size_limit} if volume.size_limit else {}
            volumes.append({"name": volume.name, "emptyDir": empty_dir})
    if pool.is_broker and _trusts_clients_ca(cluster):
        volumes.append(ca_cert_volume("clients-ca-cert", cluster_names(cluster).clients_ca_cert_secret))
    if pool.is_broker:
        for listener in cluster.listeners:
            if listener.cert_secret:
                volumes.append({"name": f"cert-{listener.identifier.lower()}", "secret": {
                    "secretName": listener.cert_secret.secret_name,
                    "items": [{"key": listener.cert_secret.certificate, "path": "tls.crt"},
                              {"key": listener.cert_secret.key, "path": "tls.key"}],
                }})
    if _init_containers(cluster, pool):
        volumes.append({"name": "rack-volume", "emptyDir": {}})
    if address_init_container(cluster, pool):
        volumes.append({"name": "address-volume", "emptyDir": {"sizeLimit": "1Mi"}})
    volumes.extend(metrics_volumes(cluster))
    volumes.extend(jmx_volumes(cluster))
    volumes.extend(pool.template.pod.get("volumes", []))
    return volumes


def _pool_volume_mounts(cluster: Cluster, pool: NodePool) -> list[dict]:
    mounts = node_volume_mounts("kafka-config", CONFIG_DIR)
    mounts.extend({"name": v.name, "mountPath": v.mount_path} for v in pool.volumes)
    if pool.is_broker and _trusts_clients_ca(cluster):
        mounts.append({"name": "clients-ca-cert", "mountPath": CLIENTS_CA_CERTS_DIR, "readOnly": True})
    if pool.is_broker:
        mounts.extend({"name": f"cert-{l.identifier.lower()}",
                       "mountPath": f"{CERTIFICATES_DIR}/{l.identifier.lower()}", "readOnly": True}
                      for l in cluster.listeners if l.cert_secret)
    if _init_containers(cluster, pool):
        mounts.append({"name": "rack-volume", "mountPath": _RACK_INIT_DIR, "readOnly": True})
    if address_init_container(cluster, pool):
        mounts.append({"name": "address-volume", "mountPath": ADDRESS_INIT_DIR, "readOnly": True})
    mounts.extend(metrics_volume_mounts(cluster))
    mounts.extend(jmx_volume_mounts(cluster))
    mounts.extend(pool.template.kafka_container.get("volumeMounts", []))
    return mounts


def _trusts_clients_ca(cluster: Cluster) -> bool:
    return any(listener.authentication == "tls" for listener in cluster.listeners)


def _volume_claim_templates(cluster: Cluster, pool: NodePool) -> list[dict]:
    return [_claim_template(cluster, pool, v) for v in pool.volumes if v.type == "persistent-claim"]


def _claim_template(cluster: Cluster, pool: NodePool, volume: Volume) -> dict:
    spec: dict = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": volume.size}}}
    if volume.storage_class is not None:
        spec["storageClassName"] = volume.storage_class
    if volume.selector:
        spec["selector"] = {"matchLabels": volume.selector}
    extra = metadata_of(pool.template.persistent_volume_claim)
    metadata = {"name": volume.name,
                "labels": {**extra["labels"], **claim_labels(cluster, pool)}}
    if extra["annotations"]:
        metadata["annotations"] = extra["annotations"]
    return {"metadata": metadata, "spec": spec}


def _claim_retention_policy(pool: NodePool) -> dict | None:
    """PVCs are deleted with the StatefulSet only when every volume says deleteClaim: true."""
    claims = [v for v in pool.volumes if v.type == "persistent-claim"]
    if not claims:
        return None
    deleted = "Delete" if all(v.delete_claim for v in claims) else "Retain"
    return {"whenDeleted": deleted, "whenScaled": "Retain"}
