"""Stage 6: write a chart: Chart.yaml, values.yaml (the plan), the static templates.

Output is deterministic: the same plan gives the same bytes. Strings are
always quoted in values.yaml, so no YAML reader (Helm's is YAML 1.1) can
turn a user's `on` or `0755` into something else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import __version__
from .plan import ChartPlan
from .project_files import CHARTS
from .yaml_text import scalar, yaml_key

CHART_LIBRARY = CHARTS / "kafka"
CHART_VERSION = "0.1.0"

# A comment for every values key; nested keys use dots, list items share their list's entry.
HOOK_POD_LABELS_DOC = ("Labels of the Job's pod (not selected by the Kafka Services or the "
                      "PodDisruptionBudget).")

VALUES_DOCS = {
    "cluster": "The Kafka cluster this chart runs.",
    "cluster.name": "Name of the Kafka resource; prefixes every object the chart makes.",
    "cluster.clusterId": "KRaft cluster id, derived from the cluster's namespace and name so that "
                         "re-rendering never changes it.",
    "cluster.kafkaVersion": "Kafka version the nodes run.",
    "cluster.metadataVersion": "KRaft metadata version given to storage formatting "
                               "(empty: the version's default).",
    "image": "Container image of every Kafka node.",
    "image.name": "Image reference (spec.kafka.image, or apache/kafka:<version>).",
    "image.pullPolicy": "Kubernetes image pull policy.",
    "commonLabels": "Labels on every object, Strimzi's names included so selectors written "
                    "for a Strimzi-run cluster keep matching.",
    "services": "The Services clients and nodes use.",
    "services.bootstrap": "ClusterIP Service in front of all brokers: the address clients bootstrap from.",
    "services.bootstrap.name": "Service name, <cluster>-kafka-bootstrap as in Strimzi.",
    "services.bootstrap.ports": "The replication port (9091, for Kafka Exporter, as in Strimzi) and one "
                                "port per internal listener of spec.kafka.listeners.",
    "services.brokers": "Headless Service that gives every node its DNS name.",
    "services.brokers.name": "Service name, <cluster>-kafka-brokers as in Strimzi.",
    "services.brokers.ports": "Controller (9090), replication (9091) and internal listener ports.",
    "podDisruptionBudget": "Voluntary disruptions take down at most this many Kafka nodes at a time.",
    "podDisruptionBudget.name": "PodDisruptionBudget name.",
    "podDisruptionBudget.maxUnavailable": "Nodes that may be down at once for a drain or upgrade.",
    "serviceAccount": "ServiceAccount of the Kafka pods (<cluster>-kafka); it mounts no token "
                      "unless rack awareness reads node labels or brokers learn their address.",
    "certificates": "TLS of the internal listeners (and of tls: true listeners without their own "
                    "certificate). A pre-install/pre-upgrade hook Job creates these Secrets in the "
                    "cluster when they are absent; no key or password is ever in this chart.",
    "certificates.podLabels": HOOK_POD_LABELS_DOC,
    "certificates.clusterCaCertSecret": "Secret with the cluster CA certificate for clients: ca.crt "
                                        "(PEM), ca.p12 (PKCS#12 trust store), ca.password.",
    "certificates.clusterCaSecret": "Secret with the cluster CA's key: ca.key (PEM), ca.p12 (PKCS#12 key "
                                    "store, key and certificate under alias ca) and ca.password.",
    "certificates.nodeCertSecret": "Secret with the certificate every Kafka node presents: node.p12 "
                                   "(PKCS#12 key store with the chain), node.password, node.crt (PEM).",
    "certificates.generateCertificateAuthority": "false: the cluster CA is yours "
                                                 "(spec.clusterCa.generateCertificateAuthority): "
                                                 "the Job signs with ca.key and ca.crt of its two "
                                                 "Secrets and never writes or renews them.",
    "certificates.validityDays": "Days a new certificate is valid (spec.clusterCa.validityDays).",
    "certificates.renewalDays": "The Job renews the cluster CA certificate (same key) and issues a new "
                                "node certificate when the current one expires within this many days "
                                "(spec.clusterCa.renewalDays).",
    "certificates.caSubject": "Subject of a new cluster CA certificate.",
    "certificates.nodeSubject": "Subject of the node certificate: the nodes' TLS principal.",
    "certificates.dnsNames": "Names the node certificate covers, each as name, name.<namespace>, "
                             "name.<namespace>.svc and name.<namespace>.svc.<clusterDomain>.",
    "certificates.externalDnsNames": "Host names of external listeners known at compile time (route and "
                                     "ingress hosts, advertisedHost, bootstrap alternativeNames), "
                                     "certified as they are.",
    "certificates.externalIpAddresses": "IP addresses of external listeners known at compile time "
                                        "(advertisedHost, loadBalancerIP), certified as IP addresses.",
    "certificates.clusterDomain": "The Kubernetes cluster's DNS domain.",
    "certificates.addressObjects": "Objects whose addresses the platform assigns (load balancer Services, "
                                   "Routes without a host): the Job reads them, by name, and the node "
                                   "certificate covers what they have by then.",
    "certificates.addressObjects.services": "LoadBalancer Services of the listeners.",
    "certificates.addressObjects.routes": "Routes of route listeners without a host in the spec.",
    "certificates.kafkaExporter": "Kafka Exporter's client certificate, signed by the cluster CA and "
                                  "renewed as the node certificate is; null without kafkaExporter.",
    "certificates.kafkaExporter.secret": "Secret with kafka-exporter.crt (PEM) and kafka-exporter.key "
                                         "(PEM, unencrypted PKCS#8).",
    "certificates.kafkaExporter.subject": "Its subject: Kafka Exporter's principal on the replication "
                                          "listener (a super user with authorization: simple).",
    "certificates.certManager": "With spec.clusterCa.type cert-manager.io: cert-manager issues the node "
                                "and Kafka Exporter certificates; the Job asks for them, waits, and "
                                "copies them into the Secrets above. null: the Job signs them.",
    "certificates.certManager.issuerRef": "The Issuer or ClusterIssuer that signs them.",
    "certificates.certManager.caCert": "Secret and key holding the CA certificates (PEM) to trust; the Job "
                                       "copies them into clusterCaCertSecret.",
    "certificates.certManager.waitSeconds": "How long the Job waits for cert-manager to issue.",
    "certificates.certManager.certificates": "The cert-manager Certificates the Job creates or updates: "
                                             "cert-manager writes each into <name>-cm.",
    "certificates.clientsCa.certManager": "With spec.clientsCa.type cert-manager.io: the issuer of the "
                                          "users' certificates and the CA certificates that listeners "
                                          "with authentication: tls trust; null otherwise.",
    "certificates.clientsCa": "The clients CA (spec.clientsCa): it signs the KafkaUsers' certificates, "
                              "and listeners with authentication: tls trust only it.",
    "certificates.clientsCa.certSecret": "Secret with the clients CA certificate: ca.crt (PEM), ca.p12 "
                                         "(PKCS#12 trust store), ca.password.",
    "certificates.clientsCa.secret": "Secret with the clients CA's key: ca.key (PEM), ca.p12 (PKCS#12 key "
                                     "store, key and certificate under alias ca) and ca.password.",
    "certificates.clientsCa.generateCertificateAuthority": "false: the clients CA is yours "
                                                           "(spec.clientsCa.generateCertificateAuthority), "
                                                           "as for the cluster CA.",
    "certificates.clientsCa.subject": "Subject of a new clients CA certificate.",
    "certificates.clientsCa.validityDays": "Days a new clients CA certificate is valid "
                                           "(spec.clientsCa.validityDays).",
    "certificates.clientsCa.renewalDays": "The Job renews the clients CA certificate (same key) when it "
                                          "expires within this many days (spec.clientsCa.renewalDays).",
    "certificates.secretLabels": "Labels of the Secrets the Job creates.",
    "certificates.job": "The hook Job (and its ServiceAccount, Role and RoleBinding) that creates them.",
    "certificates.job.name": "Name of the Job, its ServiceAccount, Role and RoleBinding.",
    "certificates.job.scriptsConfigMapName": "ConfigMap (a hook too) holding the Job's scripts.",
    "certificates.job.kubectlImage": "Image of the steps that read and create Secrets.",
    "certificates.job.tlsToolsImage": "Image of the issue step: keytool and openssl (Strimzi's Kafka "
                                      "image has both; apache/kafka has no openssl).",
    "certificates.job.scriptsDir": "Where the Job's containers mount their scripts.",
    "certificates.job.workDir": "In-memory folder the Job's steps share.",
    "certificates.job.podSecurityContext": "Pod security context of the Job (restricted).",
    "certificates.job.containerSecurityContext": "Security context of each of its containers.",
    "certificates.job.kubectlResources": "Resources of the kubectl steps.",
    "certificates.job.keytoolResources": "Resources of the keytool step.",
    "rackAwareness": "RBAC for reading nodes (rack type topology-label, or a nodeport listener whose "
                     "brokers find their node's address): a ClusterRole and ClusterRoleBinding named "
                     "<namespace>-<name>; null when not needed.",
    "listenerObjects": "Objects of listeners that are not internal: a bootstrap Service "
                       "<cluster>-kafka-<listener>-bootstrap and a Service per broker "
                       "<cluster>-<pool>-<listener>-<node id>, and Routes or Ingresses of the same names.",
    "listenerObjects.services": "ClusterIP, NodePort or LoadBalancer Services, by listener type.",
    "listenerObjects.routes": "OpenShift Routes with TLS passthrough (type route).",
    "listenerObjects.ingresses": "Ingresses with TLS passthrough for ingress-nginx (type ingress).",
    "addressDiscovery": "A Role that lets the brokers get their own per-broker Services or Routes, by "
                        "name, to learn a load balancer's address, a node port or a Route's host when "
                        "they start; null when the spec pins every address.",
    "networkPolicy": "The Kafka pods' NetworkPolicy (listeners with networkPolicyPeers): control plane "
                     "from the Kafka pods, replication from them and the chart's Jobs and Kafka Exporter, "
                     "each listener from its peers (everyone without), metrics from everyone; null when no "
                     "listener has peers.",
    "networkPolicy.name": "Its name, as Strimzi's.",
    "networkPolicy.spec": "Its spec.",
    "addressDiscovery.roleName": "Name of the Role and its RoleBinding to the Kafka ServiceAccount.",
    "addressDiscovery.serviceNames": "The Services the brokers may read.",
    "addressDiscovery.routeNames": "The Routes the brokers may read (route listeners without hosts).",
    "logging": "log4j2 configuration of every node (spec.kafka.logging): Kafka's defaults, "
               "inline logger levels, or the content of the referenced ConfigMap.",
    "nodePools": "One StatefulSet per KafkaNodePool.",
    "nodePools.name": "Name of the KafkaNodePool.",
    "nodePools.statefulSetName": "StatefulSet name, <cluster>-<pool>; pods are <cluster>-<pool>-<node id>.",
    "nodePools.configMapName": "ConfigMap holding the pool's server.properties.",
    "nodePools.replicas": "Number of nodes in the pool.",
    "nodePools.firstNodeId": "Node id of the pool's first pod (the StatefulSet's first ordinal).",
    "nodePools.roles": "KRaft roles of the pool's nodes.",
    "nodePools.labels": "Labels that tell pools and roles apart.",
    "nodePools.selectorLabels": "The StatefulSet's selector; never changes once installed.",
    "nodePools.statefulSetMetadata": "Extra StatefulSet labels and annotations (template.podSet.metadata).",
    "nodePools.podMetadata": "Extra pod labels and annotations (template.pod.metadata).",
    "nodePools.readinessProbe": "Readiness probe timing (spec.kafka.readinessProbe).",
    "nodePools.livenessProbe": "Liveness probe timing (spec.kafka.livenessProbe).",
    "nodePools.podSpec": "Pod-level fields: security context (restricted by default), scheduling "
                         "(affinity, tolerations, topology spread, priority) from template.pod.",
    "nodePools.initContainers": "The rack init container, when rack awareness reads node labels; the "
                                "address init container, when brokers learn an address at start-up.",
    "nodePools.advertisedAddresses": "Addresses the pool's brokers advertise on external listeners: "
                                     "<node id> <listener> <host> <port> <DNS suffix>, '-' for what "
                                     "the address init container finds.",
    "nodePools.containerSecurityContext": "Security context of the Kafka container (restricted "
                                          "by default, or template.kafkaContainer.securityContext).",
    "nodePools.serverProperties": "Static server.properties; kafka-run.sh appends node.id, log.dirs, "
                                  "the controller quorum and advertised listeners.",
    "nodePools.env": "Environment of kafka-run.sh. KAFKA_HEAP_OPTS, when present, is half the "
                     "memory limit (or request), at most 5 GiB, as Strimzi sizes the heap.",
    "nodePools.ports": "Container ports.",
    "nodePools.probePort": "Port the liveness probe checks (readiness runs kafka-ready.sh).",
    "nodePools.resources": "CPU and memory requests and limits of the Kafka container.",
    "nodePools.volumes": "Pod volumes: scratch space, configuration, the cluster CA certificate and "
                         "node certificate Secrets, the clients CA certificate (brokers with a "
                         "listener with authentication: tls), ephemeral data, listener certificates.",
    "nodePools.volumeMounts": "Where the Kafka container mounts them.",
    "nodePools.volumeClaimTemplates": "PersistentVolumeClaims for persistent-claim storage.",
    "nodePools.persistentVolumeClaimRetentionPolicy": "Whether PVCs are deleted with the StatefulSet "
                                                      "(deleteClaim) or kept.",
    "kafkaClient": "How the chart's Jobs reach the brokers: on the replication listener, as a node "
                   "(with TLS there, the node certificate and the cluster CA).",
    "kafkaClient.listener": "The broker listener the Jobs connect to.",
    "kafkaClient.bootstrapHosts": "Each broker pod's address; the Jobs add .<namespace>.svc and the port.",
    "kafkaClient.port": "Port of that listener.",
    "kafkaClient.properties": "Kafka client settings, except the key store password.",
    "kafkaClient.keyStorePasswordFile": "File (from a Secret) holding the key store password; "
                                        "empty without TLS.",
    "kafkaClient.volumes": "Volumes a Job needs for the client: the certificate Secrets.",
    "kafkaClient.volumeMounts": "Where the Job's Kafka container mounts them.",
    "topics": "The KafkaTopics of the cluster (spec.entityOperator.topicOperator), and the hook Job that "
              "creates and updates them after every install and upgrade; null when there are none.",
    "topics.jobName": "Name of the Job.",
    "topics.serviceAccountName": "Name of the Job's ServiceAccount, Role and RoleBinding.",
    "topics.scriptsConfigMapName": "ConfigMap holding the Job's scripts.",
    "topics.topicCount": "Number of topics the Job manages.",
    "topics.spec": "The topics, one JSON object a line: name, partitions, replicas and config (values "
                   "as Kafka keeps them), in ConfigMaps of at most 512 KiB each.",
    "topics.spec.configMapName": "Name of the ConfigMap holding this part.",
    "topics.spec.content": "Its topics.jsonl.",
    "topics.stateConfigMapNames": "ConfigMaps, created empty, where the Job records what it applied "
                                  "(state.jsonl), one per part of spec; only the Job writes them.",
    "topics.podLabels": HOOK_POD_LABELS_DOC,
    "topics.job": "The Job's pod: a sync step (the Kafka image) and a record step (kubectl).",
    "topics.job.kubectlImage": "Image of the record step.",
    "topics.job.activeDeadlineSeconds": "Longest the Job may run: waiting for the brokers, then a few "
                                        "Kafka tool runs per topic.",
    "topics.job.backoffLimit": "Retries after a failure (a refused change is not retried).",
    "topics.job.podSecurityContext": "Pod security context (restricted).",
    "topics.job.containerSecurityContext": "Security context of both steps.",
    "topics.job.volumes": "Scripts, the spec and state ConfigMaps, scratch space.",
    "topics.job.sync": "The sync step (files/topics-sync.sh): compares and applies, reports.",
    "topics.job.sync.command": "What the step runs.",
    "topics.job.sync.env": "Its settings; the Kafka client's (kafkaClient) are added.",
    "topics.job.sync.resources": "CPU and memory: up to four Kafka tool runs (JVMs) at once.",
    "topics.job.sync.volumeMounts": "Scripts, spec, record, scratch space; the client's are added.",
    "topics.job.record": "The record step (files/topics-record.sh): stores the record, ends the Job.",
    "topics.job.record.command": "What the step runs.",
    "topics.job.record.env": "Its settings: the state ConfigMaps to write, by name.",
    "topics.job.record.resources": "CPU and memory of kubectl.",
    "topics.job.record.volumeMounts": "Scripts, the record as it was, and the new one.",
    "users": "The KafkaUsers of the cluster (spec.entityOperator.userOperator), and the hook Job that "
             "creates their Secrets in the cluster, renews the TLS users' certificates, and applies their SCRAM credentials, "
             "ACLs and quotas in Kafka after every install and upgrade (null: none).",
    "users.jobName": "Name of the Job.",
    "users.serviceAccountName": "Name of the Job's ServiceAccount, Role and RoleBinding.",
    "users.filesConfigMapName": "ConfigMap holding the Job's scripts and the files below.",
    "users.userCount": "Number of users the Job manages.",
    "users.files": "The users as data, read by the Job's scripts; no password or key is among them.",
    "users.files.users.tsv": "One user a line, tab-separated: name, authentication, principal, "
                             "certificate validity and renewal days, password Secret and key (- when none).",
    "users.files.acls.tsv": "One ACL a line, tab-separated: principal, resource type, pattern type, "
                            "resource name, operation, host, permission.",
    "users.files.quotas.tsv": "One quota a line, tab-separated: quota entity, quota, value.",
    "users.files.secret-metadata.json": "Labels and annotations of each user's Secret, by name.",
    "users.readSecrets": "Secrets the Job may read, by name: the clients CA's, the users', and those "
                         "holding given passwords.",
    "users.userSecrets": "The users' Secrets the Job creates when absent (users with tls or "
                         "scram-sha-512 authentication).",
    "users.tlsUserSecrets": "The TLS users' Secrets, which the Job may also update, by name: it "
                            "re-issues a certificate that is due and puts a renewed clients CA in ca.crt.",
    "users.certManager": "With spec.clientsCa.type cert-manager.io: cert-manager issues the TLS users' "
                         "certificates; the Job asks for them, waits, checks them against the clients CA "
                         "and copies them into the users' Secrets. null otherwise.",
    "users.certManager.waitSeconds": "How long the Job waits for cert-manager to issue.",
    "users.certManager.certificates": "The cert-manager Certificates the Job creates or updates, one per "
                                      "TLS user: cert-manager writes each into <user>-cm.",
    "users.podLabels": HOOK_POD_LABELS_DOC,
    "users.job": "The Job's pod: fetch and store (kubectl), issue (keytool and openssl), apply (the "
                 "Kafka image).",
    "users.job.kubectlImage": "Image of the fetch and store steps.",
    "users.job.tlsToolsImage": "Image of the issue step: keytool and openssl (Strimzi's Kafka image "
                               "has both); the apply step runs in the Kafka image.",
    "users.job.activeDeadlineSeconds": "Longest the Job may run: waiting for the brokers, then the users.",
    "users.job.backoffLimit": "Retries after a failure.",
    "users.job.filesDir": "Where the files ConfigMap is mounted.",
    "users.job.workDir": "Scratch space in memory: the Secrets read and made, for the run only.",
    "users.job.clientDir": "Where the apply step writes the Kafka client's settings (in memory).",
    "users.job.waitSeconds": "How long the apply step waits for the brokers to answer.",
    "users.job.toolHeapOptions": "Heap of each Kafka tool run.",
    "users.job.podSecurityContext": "Pod security context (restricted).",
    "users.job.containerSecurityContext": "Security context of every step.",
    "users.job.kubectlResources": "CPU and memory of the kubectl steps.",
    "users.job.toolResources": "CPU and memory of keytool and of the Kafka tools (one JVM at a time).",
    "metrics": "Prometheus metrics (spec.kafka.metricsConfig): the Prometheus JMX exporter as a "
               "javaagent, or Strimzi's metrics reporter, in every Kafka node; null without metricsConfig.",
    "metrics.type": "jmxPrometheusExporter or strimziMetricsReporter, as metricsConfig.type says.",
    "metrics.port": "Port of the metrics endpoint (/metrics) on every node and on the headless Service.",
    "metrics.portName": "Name of that port, as in Strimzi.",
    "metrics.configMapName": "ConfigMap holding the exporter's configuration; null for the reporter.",
    "metrics.fileName": "Its key, and the file the agent reads; null for the reporter.",
    "metrics.content": "The exporter's configuration (rules), from the ConfigMap key metricsConfig names; "
                       "null for the reporter.",
    "metrics.agent": "The init container that copies the javaagent jar, or the reporter's jars, into the "
                     "pod (the Kafka image has none); nothing is downloaded at run time.",
    "metrics.agent.image": "Image that holds the jars: Strimzi's Kafka image, or your mirror of it.",
    "metrics.agent.source": "Paths of the jars in that image, as shell patterns separated by spaces: "
                            "the agent's matches one file; each of the reporter's at least one.",
    "metrics.agent.container": "The rest of the init container: the copy command, resources, "
                               "security context, the emptyDir it copies into.",
    "kafkaExporter": "Kafka Exporter (spec.kafkaExporter): a Deployment and Service serving consumer "
                     "group lag and topic offsets on the metrics port; null without kafkaExporter.",
    "kafkaExporter.name": "Name of the Deployment, its Service and ServiceAccount.",
    "kafkaExporter.image": "Kafka Exporter's image.",
    "kafkaExporter.port": "Port of its /metrics and /healthz.",
    "kafkaExporter.portName": "Name of that port.",
    "kafkaExporter.args": "Its command line: the bootstrap Service's replication port, TLS with the "
                          "cluster CA and its own certificate, the filters, log level.",
    "kafkaExporter.podLabels": "Labels of its pod (not selected by the Kafka Services or the "
                               "PodDisruptionBudget); the Deployment's selector.",
    "kafkaExporter.deploymentMetadata": "Extra Deployment labels and annotations (template.deployment).",
    "kafkaExporter.podMetadata": "Extra pod labels and annotations (template.pod.metadata).",
    "kafkaExporter.serviceAccountMetadata": "Extra ServiceAccount labels and annotations.",
    "kafkaExporter.podDisruptionBudget": "Its PodDisruptionBudget (template.podDisruptionBudget): "
                                         "maxUnavailable, extra labels and annotations.",
    "kafkaExporter.podSpec": "Pod-level fields: restricted security context, scheduling from template.pod.",
    "kafkaExporter.env": "Extra environment (template.container.env).",
    "kafkaExporter.resources": "CPU and memory of the container (spec.kafkaExporter.resources).",
    "kafkaExporter.livenessProbe": "Liveness probe timing (HTTP /healthz).",
    "kafkaExporter.readinessProbe": "Readiness probe timing (HTTP /healthz).",
    "kafkaExporter.containerSecurityContext": "Security context of the container (restricted by default).",
    "kafkaExporter.volumes": "Scratch space, the cluster CA certificate, its own certificate and key, "
                             "template.pod.volumes.",
    "kafkaExporter.volumeMounts": "Where the container mounts them.",
    "prometheusOperator": "Prometheus Operator resources (annotation kafkac.io/prometheus-operator: "
                          "\"true\" on the Kafka): PodMonitors, alert rules, Grafana dashboards; "
                          "null without it.",
    "prometheusOperator.podMonitors": "A PodMonitor for the Kafka nodes (metricsConfig) and one for "
                                      "Kafka Exporter; pod labels strimzi.io/* become series labels "
                                      "strimzi_io_*.",
    "prometheusOperator.ruleName": "Name of the PrometheusRule and of its group.",
    "prometheusOperator.thresholds": "Alert thresholds and durations, by name; override any with "
                                     "--set prometheusOperator.thresholds.<name>=<value>.",
    "prometheusOperator.alerts": "The alerts: each expression is completed with its operator and "
                                 "threshold (a literal, or the name of a threshold).",
    "prometheusOperator.metricNames": "Metric names the dashboards and alerts are written with (the JMX "
                                      "exporter's) -> the name the metricsConfig type serves instead.",
    "prometheusOperator.dashboards": "Grafana dashboards (files/dashboards), each in a ConfigMap "
                                     "labelled grafana_dashboard: \"1\" for Grafana's sidecar.",
}

def emit(chart_plan: ChartPlan, dest: Path) -> Path:
    """Write the chart for `chart_plan` into the directory `dest` (created; must not exist)."""
    shutil.copytree(CHART_LIBRARY, dest, ignore=shutil.ignore_patterns("Chart.yaml", "values.yaml"))
    (dest / "Chart.yaml").write_text(chart_yaml(chart_plan))
    (dest / "values.yaml").write_text(values_yaml(chart_plan.values))
    return dest


def chart_yaml(chart_plan: ChartPlan) -> str:
    return "\n".join([
        "apiVersion: v2",
        f"name: {chart_plan.name}",
        f"description: {scalar(f'Kafka cluster {chart_plan.name}, compiled by kafkac from Strimzi resources')}",
        "type: application",
        f"version: {CHART_VERSION}",
        f"appVersion: {scalar(chart_plan.kafka_version)}",
        "kubeVersion: \">= 1.31.0-0\"",
        "annotations:",
        f"  kafkac.io/compiler-version: {scalar(__version__)}",
        "",
    ])


def values_yaml(values: dict) -> str:
    header = [
        "# Values of this chart are the plan kafkac computed from the Strimzi resources.",
        "# Change the resources and recompile rather than editing this file; every key",
        "# is checked against values.schema.json.",
    ]
    return "\n".join(header + _mapping(values, 0, "")) + "\n"


def _mapping(mapping: dict, indent: int, parent: str | None) -> list[str]:
    """Lines of a mapping; `parent` is its dotted doc key, None inside list items (no comments)."""
    lines: list[str] = []
    pad = " " * indent
    for key, value in mapping.items():
        doc_key = None if parent is None else (f"{parent}.{key}" if parent else key)
        if doc_key in VALUES_DOCS:
            lines.append(f"{pad}# {VALUES_DOCS[doc_key]}")
        if isinstance(value, list) and doc_key:
            lines.extend(f"{pad}#   {name}: {VALUES_DOCS[f'{doc_key}.{name}']}"
                         for name in _item_keys(value) if f"{doc_key}.{name}" in VALUES_DOCS)
        lines.extend(_entry(f"{pad}{yaml_key(key)}:", value, indent, doc_key))
    return lines


def _item_keys(items: list) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        if isinstance(item, dict):
            keys.update(dict.fromkeys(item))
    return list(keys)


def _entry(lead: str, value, indent: int, doc_key: str | None) -> list[str]:
    if isinstance(value, dict):
        if not value:
            return [f"{lead} {{}}"]
        return [lead] + _mapping(value, indent + 2, doc_key)
    if isinstance(value, list):
        if not value:
            return [f"{lead} []"]
        lines = [lead]
        for item in value:
            lines.extend(_list_item(item, indent + 2))
        return lines
    if isinstance(value, str) and _literal_block_ok(value):
        chomp = "" if value.endswith("\n") else "-"
        body = value[:-1] if value.endswith("\n") else value
        return [f"{lead} |{chomp}"] + [f"{' ' * (indent + 2)}{line}" if line else ""
                                       for line in body.split("\n")]
    return [f"{lead} {scalar(value)}"]


def _list_item(item, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(item, dict) and item:
        nested = _mapping(item, indent + 2, None)
        return [f"{pad}- {nested[0][indent + 2:]}"] + nested[1:]
    if isinstance(item, dict):
        return [f"{pad}- {{}}"]
    if isinstance(item, list):
        raise ValueError("values never hold lists of lists")
    return [f"{pad}- {scalar(item)}"]


def _literal_block_ok(value: str) -> bool:
    """Multi-line text reads best as a literal block, when that keeps it byte-exact."""
    if "\n" not in value.rstrip("\n") or value.endswith("\n\n"):
        return False
    if value.startswith((" ", "\n")):
        return False
    return all(line == line.rstrip() and line.isprintable() for line in value.split("\n"))

