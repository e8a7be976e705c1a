"""What the pods and containers the chart runs share: security contexts, probe defaults, the
folders a Kafka node's files are mounted at, and how template sections become values."""

from __future__ import annotations

from ..model import Cluster
from .naming import added_labels, cluster_names

_KAFKA_UID = 1000  # the apache/kafka image runs as appuser, uid and gid 1000
CONFIG_DIR = "/opt/kafka/custom-config"
SCRIPTS_DIR = "/opt/kafka/kafkac"
CERTIFICATES_DIR = "/opt/kafka/certificates"  # listeners' own certificates (brokerCertChainAndKey)
CLUSTER_CA_CERTS_DIR = "/opt/kafka/cluster-ca-certs"  # ca.crt of the cluster CA
NODE_CERTS_DIR = "/opt/kafka/node-certs"  # node.p12 and node.password
NODE_KEYSTORE = f"{NODE_CERTS_DIR}/node.p12"
CLUSTER_CA_CERT = f"{CLUSTER_CA_CERTS_DIR}/ca.crt"
CLIENTS_CA_CERTS_DIR = "/opt/kafka/clients-ca-certs"  # ca.crt of the clients CA
CLIENTS_CA_CERT = f"{CLIENTS_CA_CERTS_DIR}/ca.crt"
WORK_DIR = "/tmp/kafka"
PROBE_DEFAULTS = {"initialDelaySeconds": 15, "timeoutSeconds": 5}
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": _KAFKA_UID,
    "runAsGroup": _KAFKA_UID,
    "fsGroup": _KAFKA_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}
# template.pod fields that are pod spec fields under the same name.
_POD_SPEC_FIELDS = ("affinity", "tolerations", "topologySpreadConstraints", "priorityClassName",
                   "schedulerName", "hostAliases", "dnsPolicy", "dnsConfig", "imagePullSecrets",
                   "hostUsers")


def metadata_of(template_section: dict) -> dict:
    """A template section's metadata as `labels` and `annotations` values (empty when unset)."""
    metadata = template_section.get("metadata") or {}
    return {"labels": added_labels(metadata.get("labels") or {}),
            "annotations": dict(metadata.get("annotations") or {})}


def env_list(env: dict[str, str]) -> list[dict]:
    """Kubernetes EnvVars. An empty value is written as none at all, which the container sees
    the same way: the API server drops `value: ""`, and a manifest that keeps it differs from
    the live object forever for GitOps tools (kubectl apply, Argo CD) though nothing changed."""
    return [{"name": name, "value": value} if value != "" else {"name": name} for name, value in env.items()]


def image(name: str) -> dict:
    return {"name": name, "pullPolicy": "IfNotPresent"}


def pod_spec(pod: dict, service_account: str, uses_api: bool, security_context: dict) -> dict:
    """Pod-level fields: the chart's defaults, then what the resource's template.pod sets."""
    spec = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": uses_api,
        "enableServiceLinks": pod.get("enableServiceLinks", False),
        "terminationGracePeriodSeconds": pod.get("terminationGracePeriodSeconds", 30),
        "securityContext": pod.get("securityContext", security_context),
    }
    spec.update({key: pod[key] for key in _POD_SPEC_FIELDS if key in pod})
    return spec


def ca_cert_volume(name: str, secret: str) -> dict:
    """A volume of the ca.crt in a CA certificate Secret."""
    return {"name": name, "secret": {"secretName": secret, "items": [{"key": "ca.crt", "path": "ca.crt"}]}}


def node_certs_volume(name: str, cluster: Cluster) -> dict:
    """A volume of the node certificate's key store and its password."""
    return {"name": name, "secret": {"secretName": cluster_names(cluster).node_cert_secret,
                                     "items": [{"key": "node.p12", "path": "node.p12"},
                                               {"key": "node.password", "path": "node.password"}]}}


def node_volume_mounts(config_volume: str, config_dir: str) -> list[dict]:
    """What every Kafka and ZooKeeper node mounts: /tmp, its configuration, the chart's
    scripts, the cluster CA's certificate and its node certificate."""
    return [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": config_volume, "mountPath": config_dir, "readOnly": True},
        {"name": "kafkac-scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
        {"name": "cluster-ca-cert", "mountPath": CLUSTER_CA_CERTS_DIR, "readOnly": True},
        {"name": "node-certs", "mountPath": NODE_CERTS_DIR, "readOnly": True},
    ]
