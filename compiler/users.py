"""KafkaUser resources: grouped to their cluster, checked, given their defaults.

Part of the normalize stage. A KafkaUser joins the Kafka named by its
`strimzi.io/cluster` label in its namespace (or, written without one, in any: see
cluster_members), as in Strimzi; that Kafka
must have `spec.entityOperator.userOperator`, which asks the chart to manage
users. What is checked here, each with the position of the field:

- the user name: unique in the cluster, at most 64 characters for a user with a
  certificate (its common name); its Secret's name (the user's, after the Kafka's
  `userOperator.secretPrefix`) not one the chart's certificates Job owns, nor
  longer than Kubernetes allows;
- every ACL: a resource name where the type needs one and none for the cluster,
  operations that Kafka allows on the resource type, one way to give them
  (`operations`, or the deprecated `operation`), names and hosts that the Job's
  data files can carry (no control characters);
- warnings when the cluster has no listener for the user's authentication, or
  no authorization to enforce its ACLs.
"""

from __future__ import annotations

import dataclasses

from .findings import FieldPath, Finding, defined_twice, error, warning
from .cluster_members import group_by_cluster, unmanaged_members, watched_namespace, without_paused
from .document import Document, Documents
from .model import Acl, Cluster, User

MAX_CERTIFICATE_USER_NAME = 64  # a certificate's common name holds at most 64 characters
MAX_SECRET_NAME = 253  # a Kubernetes object name (DNS subdomain)
CLUSTER_RESOURCE_NAME = "kafka-cluster"  # Kafka's one cluster resource
# Kafka's ACL operation matrix (AclEntry.supportedOperations); All is valid everywhere.
OPERATIONS = {
    "topic": ("Read", "Write", "Create", "Delete", "Alter", "Describe", "AlterConfigs", "DescribeConfigs"),
    "group": ("Read", "Delete", "Describe"),
    "cluster": ("Create", "ClusterAction", "DescribeConfigs", "AlterConfigs", "IdempotentWrite", "Alter",
                "Describe"),
    "transactionalId": ("Write", "Describe"),
}
RESOURCE_TYPES = {"topic": "TOPIC", "group": "GROUP", "cluster": "CLUSTER", "transactionalId": "TRANSACTIONAL_ID"}
PATTERN_TYPES = {"literal": "LITERAL", "prefix": "PREFIXED"}
QUOTAS = {"producerByteRate": "producer_byte_rate", "consumerByteRate": "consumer_byte_rate",
          "requestPercentage": "request_percentage", "controllerMutationRate": "controller_mutation_rate"}
# Listener authentication that lets each user authentication in.
LISTENER_AUTHENTICATION = {"tls": "tls", "tls-external": "tls", "scram-sha-512": "scram-sha-512"}


def attach_users(documents: Documents, clusters: list[Cluster]) -> tuple[list[Cluster], list[Finding]]:
    """The clusters with their managed users, and the findings about every KafkaUser."""
    by_cluster, findings = group_by_cluster(documents, "KafkaUser", "user")

    result = []
    for cluster in clusters:
        findings += _other_watched_namespace(cluster)
        users = cluster_users(cluster, by_cluster.get((cluster.namespace, cluster.name), []), findings)
        result.append(dataclasses.replace(cluster, users=users) if users else cluster)
    return result, findings


def _other_watched_namespace(cluster: Cluster) -> list[Finding]:
    """Strimzi's User Operator makes the users' Secrets in the namespace it watches; the users Job
    makes them in the Kafka's, where its Role is."""
    watched = watched_namespace(cluster.document, "userOperator")
    if watched is None or cluster.namespace is None or watched == cluster.namespace:
        return []
    path = ("spec", "entityOperator", "userOperator", "watchedNamespace")
    return [error(
        "user.watched-namespace", f"the users Job of Kafka {cluster.name} makes the KafkaUsers' Secrets in the "
        f"Kafka's namespace {cluster.namespace}, not in {watched}", cluster.document.span_of(path), path,
        f"no watchedNamespace (the KafkaUsers in namespace {cluster.namespace}), or {cluster.namespace}",
        cluster.document.describe())]


def cluster_users(cluster: Cluster, docs: list[Document], findings: list[Finding]) -> tuple[User, ...]:
    """The users of one cluster, sorted by name; problems go to `findings`."""
    docs = without_paused(docs, findings)
    if docs and not cluster.manage_users:
        findings += unmanaged_members("KafkaUser", docs, cluster, "userOperator")
        return ()
    seen: dict[str, Document] = {}
    users = []
    for doc in docs:
        if doc.name in seen:
            findings.append(defined_twice("user.duplicate", doc, seen[doc.name]))
            continue
        seen[doc.name] = doc
        user = _user(cluster, doc, findings)
        if user is not None:
            users.append(user)
    _check_cert_manager_secrets(cluster, users, seen, findings)
    return tuple(sorted(users, key=lambda u: u.name))


def _check_cert_manager_secrets(cluster: Cluster, users: list[User], docs: dict[str, Document],
                                findings: list[Finding]) -> None:
    """With a clients CA of type cert-manager.io, cert-manager writes a TLS user's certificate into
    Secret <its Secret>-cm: no other user's Secret may take that name."""
    if cluster.clients_ca.cert_manager is None:
        return
    with_secret = {user.secret_name: user for user in users if user.has_secret}
    for user in users:
        issued = f"{user.secret_name}-cm"
        if user.authentication == "tls" and issued in with_secret:
            path = ("metadata", "name")
            other = docs[with_secret[issued].name]
            findings.append(error(
                "user.name", f"user {other.name} would need a Secret named {issued}, where cert-manager issues "
                f"the certificate of TLS user {user.name} (Kafka {cluster.name} has spec.clientsCa.type "
                "cert-manager.io)", other.span_of(path), path, "another user name", other.describe()))


def reserved_secret_names(cluster: Cluster) -> frozenset[str]:
    """Secrets of the cluster that the certificates Job owns: no user's Secret may take their names."""
    return frozenset(f"{cluster.name}-{suffix}" for suffix in (
        "cluster-ca", "cluster-ca-cert", "clients-ca", "clients-ca-cert", "kafka-node-certs", "kafka-node-certs-cm",
        "kafka-exporter-certs", "kafka-exporter-certs-cm"))


def _user(cluster: Cluster, doc: Document, findings: list[Finding]) -> User | None:
    count = len(findings)
    spec = doc.get("spec", default={}) or {}
    authentication = (spec.get("authentication") or {}).get("type")
    name_path = ("metadata", "name")
    if authentication in ("tls", "tls-external") and len(doc.name) > MAX_CERTIFICATE_USER_NAME:
        findings.append(error(
            "user.name", f"user name {doc.name!r} is {len(doc.name)} characters long, too long for the "
            f"common name of its certificate", doc.span_of(name_path), name_path,
            f"at most {MAX_CERTIFICATE_USER_NAME} characters for a user with {authentication} authentication",
            doc.describe()))
    secret_name = cluster.user_secret_prefix + doc.name
    if authentication in ("tls", "scram-sha-512"):
        _check_secret_name(cluster, doc, secret_name, findings)
    _check_authentication(doc, spec.get("authentication") or {}, findings)
    acls = _acls(doc, findings)
    _check_listeners(cluster, doc, authentication, findings)
    if acls and not (cluster.document.get("spec", "kafka", "authorization")):
        path = ("spec", "authorization")
        findings.append(warning(
            "user.authorization-off", f"KafkaUser {doc.name} has ACLs, but Kafka {cluster.name} has no "
            "spec.kafka.authorization: the Job sets the ACLs, and no broker enforces them",
            doc.span_of(path), path, f"spec.kafka.authorization: {{type: simple}} in Kafka {cluster.name}",
            doc.describe()))
    if len(findings) > count and any(f.is_error for f in findings[count:]):
        return None

    raw_auth = spec.get("authentication") or {}
    ref = ((raw_auth.get("password") or {}).get("valueFrom") or {}).get("secretKeyRef")
    template = ((spec.get("template") or {}).get("secret") or {}).get("metadata") or {}
    return User(
        name=doc.name,
        secret_name=secret_name,
        authentication=authentication,
        password_secret=(ref["name"], ref["key"]) if ref else None,
        validity_days=raw_auth.get("validityDays", cluster.clients_ca.validity_days),
        renewal_days=raw_auth.get("renewalDays", cluster.clients_ca.renewal_days),
        acls=tuple(acls),
        quotas={QUOTAS[key]: value for key, value in (spec.get("quotas") or {}).items()},
        secret_labels=dict(template.get("labels") or {}),
        secret_annotations=dict(template.get("annotations") or {}),
        document=doc,
    )


def _check_secret_name(cluster: Cluster, doc: Document, secret_name: str, findings: list[Finding]) -> None:
    """The user's Secret may not take a name of the cluster's certificates, nor be longer than
    Kubernetes allows."""
    name_path = ("metadata", "name")
    if secret_name in reserved_secret_names(cluster):
        findings.append(error(
            "user.name", f"user {doc.name} would need a Secret named {secret_name}, which holds one of "
            f"Kafka {cluster.name}'s certificates", doc.span_of(name_path), name_path,
            "another user name", doc.describe()))
    elif len(secret_name) > MAX_SECRET_NAME:
        findings.append(error(
            "user.name", f"user {doc.name} would need a Secret named {secret_name!r}, "
            f"{len(secret_name)} characters long, and Kubernetes allows {MAX_SECRET_NAME}",
            doc.span_of(name_path), name_path, f"a name of at most {MAX_SECRET_NAME - len(cluster.user_secret_prefix)}"
            f" characters after Kafka {cluster.name}'s userOperator.secretPrefix "
            f"{cluster.user_secret_prefix!r}", doc.describe()))


def _check_authentication(doc: Document, raw: dict, findings: list[Finding]) -> None:
    """What Strimzi's CRD checks with validation rules: fields that belong to one authentication type."""
    path: FieldPath = ("spec", "authentication")
    kind = raw.get("type")
    if "password" in raw and kind != "scram-sha-512":
        findings.append(error(
            "user.authentication", f"a password is for scram-sha-512 authentication, not {kind}",
            doc.span_of(path + ("password",)), path + ("password",),
            "type: scram-sha-512, or no password", doc.describe()))
    days = [key for key in ("validityDays", "renewalDays") if key in raw]
    if days and kind != "tls":
        findings.append(error(
            "user.authentication", f"{days[0]} is for the certificate of tls authentication, not {kind}",
            doc.span_of(path + (days[0],)), path + (days[0],), f"type: tls, or no {days[0]}", doc.describe()))
    elif len(days) == 1:
        findings.append(error(
            "user.authentication", f"{days[0]} is set without "
            f"{'renewalDays' if days[0] == 'validityDays' else 'validityDays'}",
            doc.span_of(path + (days[0],)), path + (days[0],), "validityDays and renewalDays together, or neither",
            doc.describe()))
    elif days and raw["renewalDays"] >= raw["validityDays"]:
        findings.append(error(
            "user.authentication", f"renewalDays ({raw['renewalDays']}) is not less than validityDays "
            f"({raw['validityDays']})", doc.span_of(path + ("renewalDays",)), path + ("renewalDays",),
            f"fewer than {raw['validityDays']} days", doc.describe()))


def _check_listeners(cluster: Cluster, doc: Document, authentication: str | None,
                     findings: list[Finding]) -> None:
    if authentication is None:
        return
    wanted = LISTENER_AUTHENTICATION[authentication]
    listeners = cluster.document.get("spec", "kafka", "listeners", default=[]) or []
    if any(((listener.get("authentication") or {}).get("type")) == wanted for listener in listeners):
        return
    path = ("spec", "authentication", "type")
    findings.append(warning(
        "user.no-listener", f"KafkaUser {doc.name} authenticates with {authentication}, but no listener "
        f"of Kafka {cluster.name} has authentication type {wanted}: the user cannot connect",
        doc.span_of(path), path, f"a listener with authentication: {{type: {wanted}}} in Kafka {cluster.name}",
        doc.describe()))


def _acls(doc: Document, findings: list[Finding]) -> list[Acl]:
    acls: list[Acl] = []
    rules = doc.get("spec", "authorization", "acls", default=[]) or []
    for i, rule in enumerate(rules):
        path: FieldPath = ("spec", "authorization", "acls", i)
        acls.extend(_rule_acls(doc, rule, path, findings))
    return sorted(set(acls), key=dataclasses.astuple)


def _rule_acls(doc: Document, rule: dict, path: FieldPath, findings: list[Finding]) -> list[Acl]:
    resource = rule["resource"]
    kind = resource["type"]
    count = len(findings)
    if kind == "cluster":
        for key in ("name", "patternType"):
            if key in resource:
                findings.append(error(
                    "user.acl-resource", f"the cluster resource takes no {key}: Kafka has one cluster",
                    doc.span_of(path + ("resource", key)), path + ("resource", key),
                    f"resource: {{type: cluster}} without {key}", doc.describe()))
        name = CLUSTER_RESOURCE_NAME
    elif not resource.get("name"):
        where = path + ("resource", "name") if "name" in resource else path + ("resource",)
        findings.append(error(
            "user.acl-resource", f"a {kind} resource needs a name", doc.span_of(where), where,
            f'the {kind} name, a prefix with patternType: prefix, or "*" for every {kind}', doc.describe()))
        name = ""
    else:
        name = resource["name"]
        _check_text(doc, name, path + ("resource", "name"), "resource name", findings)
    host = rule.get("host", "*")
    if "host" in rule:
        _check_text(doc, host, path + ("host",), "host", findings)

    if ("operations" in rule) == ("operation" in rule):
        findings.append(error(
            "user.acl-operations", "an ACL rule needs its operations, given once",
            doc.span_of(path), path, "operations: [...] (or the deprecated operation: <one>), not both",
            doc.describe()))
        return []
    operations = rule["operations"] if "operations" in rule else [rule["operation"]]
    op_path = path + (("operations",) if "operations" in rule else ("operation",))
    for j, operation in enumerate(operations):
        where = op_path + (j,) if "operations" in rule else op_path
        if operation != "All" and operation not in OPERATIONS[kind]:
            findings.append(error(
                "user.acl-operation", f"Kafka has no operation {operation} on a {kind} resource",
                doc.span_of(where), where, f"one of {', '.join(OPERATIONS[kind] + ('All',))}", doc.describe()))
    if not operations:
        findings.append(error(
            "user.acl-operations", "an ACL rule with no operations grants nothing", doc.span_of(op_path),
            op_path, f"one or more of {', '.join(OPERATIONS[kind] + ('All',))}", doc.describe()))
    if len(findings) > count:
        return []
    pattern = PATTERN_TYPES[resource.get("patternType", "literal")]
    permission = rule.get("type", "allow").upper()
    return [Acl(RESOURCE_TYPES[kind], pattern, name, kafka_operation(op), host, permission)
            for op in operations]


def kafka_operation(operation: str) -> str:
    """Kafka's enum name of a Strimzi operation: ClusterAction -> CLUSTER_ACTION."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(operation)).upper()


def _check_text(doc: Document, text: str, path: FieldPath, what: str, findings: list[Finding]) -> None:
    """The Job's data files hold one ACL a line, fields split at tabs: no control characters."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        findings.append(error(
            "user.acl-text", f"the {what} {text!r} holds control characters (tab, line end, ...)",
            doc.span_of(path), path, "printable characters only", doc.describe()))
