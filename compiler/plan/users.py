"""The users Job: its data (the managed KafkaUsers, their ACLs and quotas as tab-separated lines),
the cert-manager Certificates of TLS users, and its pod.

Placed by templates/users/; its scripts are files/users-*.sh.
"""

from __future__ import annotations

import json

from ..model import DEFAULT_KUBECTL_IMAGE, STRIMZI_KAFKA_IMAGE, Cluster, User
from .certificates import cert_manager_certificate, cert_manager_issuer
from .kafka_client import KAFKA_CLIENT_DIR, KAFKA_WAIT_SECONDS, TOOL_HEAP_OPTIONS, TOOL_RUN_SECONDS
from .naming import added_labels, cluster_names, hook_pod_labels, job_name, user_secret_labels
from .pods import CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, image

_USERS_DIR = "/opt/kafkac/users"  # the scripts and the users as data
_USERS_WORK_DIR = "/var/run/kafkac-users"
# Seconds the users Job may take for one user: its Secret, then a few Kafka tool runs.
_USER_SECONDS = 4 * TOOL_RUN_SECONDS


def users_values(cluster: Cluster) -> dict | None:
    """The users Job and its data: null unless the Kafka manages users and has some.

    The users reach the Job as data files (tab-separated lines, and the Secrets'
    metadata as JSON) in one ConfigMap with the Job's scripts.
    """
    if not (cluster.manage_users and cluster.users):
        return None
    name = job_name(cluster, "users")
    secrets = [user.secret_name for user in cluster.users if user.has_secret]
    password_secrets = sorted({user.password_secret[0] for user in cluster.users if user.password_secret})
    tls_users = [user for user in cluster.users if user.authentication == "tls"]
    cert_manager = _users_cert_manager(cluster, tls_users)
    # With a clients CA of cert-manager.io there is no CA key to read, but what cert-manager issued.
    names = cluster_names(cluster)
    ca_secrets = [names.clients_ca_cert_secret] + (
        [certificate["spec"]["secretName"] for certificate in cert_manager["certificates"]] if cert_manager
        else [names.clients_ca_secret])
    return {
        "jobName": name,
        "serviceAccountName": name,
        "filesConfigMapName": f"{name}-files",
        "userCount": len(cluster.users),
        "files": {
            "users.tsv": _users_lines(cluster.users),
            "acls.tsv": acl_lines(cluster.users),
            "quotas.tsv": _quota_lines(cluster.users),
            "secret-metadata.json": json.dumps(
                _secret_metadata(cluster.users, cluster), sort_keys=True, indent=2) + "\n",
        },
        # Read by name: the clients CA (or what cert-manager issued), the users' Secrets, the
        # Secrets of given passwords.
        "readSecrets": sorted({*ca_secrets, *secrets, *password_secrets}),
        "userSecrets": secrets,
        # Updated by name: a TLS user's Secret gets a renewed certificate or ca.crt.
        "tlsUserSecrets": [user.secret_name for user in tls_users],
        "certManager": cert_manager,
        "podLabels": hook_pod_labels(cluster, "users"),
        "job": {
            "kubectlImage": image(DEFAULT_KUBECTL_IMAGE),
            "tlsToolsImage": image(STRIMZI_KAFKA_IMAGE),
            "activeDeadlineSeconds": KAFKA_WAIT_SECONDS + 300 + len(cluster.users) * _USER_SECONDS,
            "backoffLimit": 6,
            "filesDir": _USERS_DIR,
            "workDir": _USERS_WORK_DIR,
            "clientDir": KAFKA_CLIENT_DIR,
            "waitSeconds": KAFKA_WAIT_SECONDS,
            "toolHeapOptions": TOOL_HEAP_OPTIONS,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "kubectlResources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            # openssl, then one Kafka tool run (a JVM of about 100 MiB) at a time.
            "toolResources": {"requests": {"cpu": "200m", "memory": "384Mi"}, "limits": {"memory": "512Mi"}},
        },
    }


def _users_cert_manager(cluster: Cluster, tls_users: list[User]) -> dict | None:
    """With spec.clientsCa type cert-manager.io: a cert-manager Certificate for each TLS user, which
    the users Job applies (as the certificates Job does the node's), each with the user's days; else
    null. Strimzi's principal of a TLS user is its subject, CN=<user> alone."""
    issuer = cert_manager_issuer(cluster.clients_ca)
    if issuer is None or not tls_users:
        return None
    certificates = [cert_manager_certificate(cluster.clients_ca, user.secret_name, user.name, ["client auth"],
                                             organizations=(), days=(user.validity_days, user.renewal_days))
                    for user in tls_users]
    return {"waitSeconds": issuer["waitSeconds"], "certificates": certificates}


# --- the Job's data files ----------------------------------------------------------------

def _users_lines(users: tuple[User, ...]) -> str:
    """One user a line, fields split at tabs: name, authentication, principal, validity days,
    renewal days, password Secret and key ("-" when none), the user's Secret. Names are DNS
    subdomains."""
    lines = []
    for user in users:
        secret, key = user.password_secret or ("-", "-")
        lines.append("\t".join((user.name, user.authentication or "none", user.principal,
                                str(user.validity_days), str(user.renewal_days), secret, key,
                                user.secret_name)))
    return "".join(f"{line}\n" for line in lines)


def acl_lines(users: tuple[User, ...]) -> str:
    """One ACL a line, tab-separated, in the form the Job reads back from kafka-acls --list:
    principal, resource type, pattern type, resource name, operation, host, permission."""
    return "".join("\t".join((user.principal, acl.resource_type, acl.pattern_type, acl.resource_name,
                              acl.operation, acl.host, acl.permission)) + "\n"
                   for user in users for acl in user.acls)


def _quota_lines(users: tuple[User, ...]) -> str:
    """One quota a line: the user's quota entity, Kafka's quota key, the value."""
    return "".join(f"{user.quota_entity}\t{key}\t{_number(value)}\n"
                   for user in users for key, value in sorted(user.quotas.items()))


def _number(value) -> str:
    return json.dumps(value)


def _secret_metadata(users: tuple[User, ...], cluster: Cluster) -> dict:
    """Labels and annotations of each user's Secret, by its name: the template's, then Strimzi's labels."""
    return {user.secret_name: {
        "labels": {**added_labels(user.secret_labels), **user_secret_labels(cluster, user.name)},
        "annotations": user.secret_annotations,
    } for user in users if user.has_secret}
