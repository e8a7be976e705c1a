"""The cluster's certificates: the CA and node certificate Secrets, the hook Job that creates
what is absent, and the cert-manager Certificates it applies when a CA is cert-manager's.

Placed by templates/certificates/; the users Job applies its users' Certificates the same way.
"""

from __future__ import annotations

from ..model import DEFAULT_KUBECTL_IMAGE, STRIMZI_KAFKA_IMAGE, Cluster, ClusterCa
from .jmx import jmx_secret_values
from .listeners import address_objects, cluster_ip_service_names, external_names
from .naming import cluster_names, hook_pod_labels, secret_labels, zookeeper_names
from .pods import CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, image

# Strimzi's subject of the cluster CA and of the nodes' certificates (its node principal).
_CA_SUBJECT = "CN=cluster-ca v0, O=io.strimzi"
_CLIENTS_CA_SUBJECT = "CN=clients-ca v0, O=io.strimzi"
_CLUSTER_DOMAIN = "cluster.local"
_CERTS_SCRIPTS_DIR = "/opt/kafkac/scripts"
_CERTS_WORK_DIR = "/var/run/kafkac"
# Seconds the certificates Job waits for cert-manager to issue what it asked for.
_CERT_MANAGER_WAIT_SECONDS = 300


def certificates_values(cluster: Cluster) -> dict:
    """The CA and node certificate Secrets, and the hook Job that creates what is absent."""
    names = cluster_names(cluster)
    bootstrap, brokers = names.bootstrap_service, names.brokers_service
    name = f"{names.kafka}-certificates"
    node_secret = names.node_cert_secret
    # Each name is certified in its four forms: name, name.<ns>, name.<ns>.svc
    # and name.<ns>.svc.<clusterDomain>; the wildcard covers every pod.
    dns_names = [bootstrap, brokers, f"*.{brokers}", *cluster_ip_service_names(cluster),
                 *_zookeeper_dns_names(cluster)]
    # Addresses of listeners with their own Services, known at compile time, as they are.
    external_dns_names, external_ips = external_names(cluster)
    return {
        "clusterCaCertSecret": names.cluster_ca_cert_secret,
        "clusterCaSecret": names.cluster_ca_secret,
        "nodeCertSecret": node_secret,
        "generateCertificateAuthority": cluster.cluster_ca.generate,
        "validityDays": cluster.cluster_ca.validity_days,
        "renewalDays": cluster.cluster_ca.renewal_days,
        "caSubject": _CA_SUBJECT,
        "nodeSubject": f"CN={names.kafka}, O=io.strimzi",
        "dnsNames": dns_names,
        "externalDnsNames": external_dns_names,
        "externalIpAddresses": external_ips,
        "addressObjects": address_objects(cluster),
        "clusterDomain": _CLUSTER_DOMAIN,
        "kafkaExporter": _kafka_exporter_certificate(cluster),
        # Not a certificate: the JMX credentials, made and kept the same way.
        "jmx": jmx_secret_values(cluster),
        "certManager": _cluster_cert_manager(cluster, node_secret, dns_names, external_dns_names, external_ips),
        # Signs the KafkaUsers' certificates; `authentication: tls` listeners trust only it.
        "clientsCa": {
            "certSecret": names.clients_ca_cert_secret,
            "secret": names.clients_ca_secret,
            "generateCertificateAuthority": cluster.clients_ca.generate,
            "subject": _CLIENTS_CA_SUBJECT,
            "validityDays": cluster.clients_ca.validity_days,
            "renewalDays": cluster.clients_ca.renewal_days,
            "certManager": cert_manager_issuer(cluster.clients_ca),
        },
        "secretLabels": secret_labels(cluster),
        "podLabels": hook_pod_labels(cluster, "certificates"),
        "job": {
            "name": name,
            "scriptsConfigMapName": f"{name}-scripts",
            "kubectlImage": image(DEFAULT_KUBECTL_IMAGE),
            "tlsToolsImage": image(STRIMZI_KAFKA_IMAGE),
            "scriptsDir": _CERTS_SCRIPTS_DIR,
            "workDir": _CERTS_WORK_DIR,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "kubectlResources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                 "limits": {"memory": "128Mi"}},
            # The issue step's (openssl; the key's name is older than that).
            "keytoolResources": {"requests": {"cpu": "200m", "memory": "256Mi"},
                                 "limits": {"memory": "256Mi"}},
        },
    }


def cert_manager_issuer(ca: ClusterCa) -> dict | None:
    """A CA of type cert-manager.io: its issuer and the Secret key holding the CA certificates to
    trust; null for a CA whose certificates kafkac's Jobs sign."""
    if ca.cert_manager is None:
        return None
    cm = ca.cert_manager
    return {"issuerRef": {"name": cm.issuer_name, "kind": cm.issuer_kind, "group": cm.issuer_group},
            "caCert": {"secretName": cm.ca_cert_secret, "certificate": cm.ca_cert_key},
            "waitSeconds": _CERT_MANAGER_WAIT_SECONDS}


def cert_manager_certificate(ca: ClusterCa, secret: str, common_name: str, usages: list[str], *,
                             organizations: tuple[str, ...] = ("io.strimzi",), days: tuple[int, int] | None = None,
                             cluster_dns_names: list[str] = (), dns_names: list[str] = (),
                             ip_addresses: list[str] = ()) -> dict:
    """A cert-manager Certificate a Job applies, for the certificate kafkac keeps in Secret `secret`:
    cert-manager writes it to `<secret>-cm`, the Job copies it with Strimzi's keys. Its subject is
    CN=`common_name` with `organizations`; it is valid `days` (validity, renewal), the CA's by default.
    `clusterDnsNames` get their in-cluster forms (namespace, cluster domain) when the chart renders."""
    validity, renewal = days or (ca.validity_days, ca.renewal_days)
    spec = {
        "secretName": f"{secret}-cm",
        "commonName": common_name,
        **({"subject": {"organizations": list(organizations)}} if organizations else {}),
        "usages": ["digital signature", "key encipherment", *usages],
        "duration": f"{validity * 24}h",
        "renewBefore": f"{renewal * 24}h",
        "privateKey": {"algorithm": "RSA", "size": 2048, "encoding": "PKCS8", "rotationPolicy": "Always"},
        "issuerRef": {"name": ca.cert_manager.issuer_name, "kind": ca.cert_manager.issuer_kind,
                      "group": ca.cert_manager.issuer_group},
    }
    if dns_names:
        spec["dnsNames"] = list(dns_names)
    if ip_addresses:
        spec["ipAddresses"] = list(ip_addresses)
    return {"name": secret, "clusterDnsNames": list(cluster_dns_names), "spec": spec}


def _cluster_cert_manager(cluster: Cluster, node_secret: str, dns_names: list[str],
                          external_dns_names: list[str], external_ips: list[str]) -> dict | None:
    """With spec.clusterCa type cert-manager.io: the issuer, and the Certificates of the node and
    Kafka Exporter certificates; else null."""
    issuer = cert_manager_issuer(cluster.cluster_ca)
    if issuer is None:
        return None
    names = cluster_names(cluster)
    certificates = [cert_manager_certificate(cluster.cluster_ca, node_secret, names.kafka,
                                             ["server auth", "client auth"], cluster_dns_names=dns_names,
                                             dns_names=external_dns_names, ip_addresses=external_ips)]
    if cluster.kafka_exporter is not None:
        certificates.append(cert_manager_certificate(
            cluster.cluster_ca, names.kafka_exporter_cert_secret, names.kafka_exporter, ["client auth"]))
    return {**issuer, "certificates": certificates}


def _kafka_exporter_certificate(cluster: Cluster) -> dict | None:
    """Kafka Exporter's client certificate, signed by the cluster CA; null without spec.kafkaExporter."""
    if cluster.kafka_exporter is None:
        return None
    names = cluster_names(cluster)
    return {"secret": names.kafka_exporter_cert_secret, "subject": f"CN={names.kafka_exporter}, O=io.strimzi"}


def _zookeeper_dns_names(cluster: Cluster) -> list[str]:
    """The ZooKeeper nodes present the node certificate too, on the client Service and to each
    other; the brokers check that it names the client Service they connect to."""
    if cluster.zookeeper is None:
        return []
    names = zookeeper_names(cluster)
    return [names.client_service, names.nodes_service, f"*.{names.nodes_service}"]
