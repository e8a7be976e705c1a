"""A Connect cluster's chart: the workers' StatefulSet, their worker properties, the REST API
Service, the build context of spec.build, and the KafkaConnectors the connectors Job applies.

Placed by charts/connect/templates/; the workers start with files/connect-run.sh, and the
connectors Job runs files/connectors-apply.sh.

Every secret stays in its Secret: the SASL password and the client certificate and key are
read by the worker at start through Kafka's DirectoryConfigProvider (`${strimzidir:...}`) from
the mounted Secrets, and trusted certificates are joined into one PEM file by connect-run.sh.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import yaml

from ..model import STRIMZI_KAFKA_IMAGE, Rack, kafka_minor
from ..model_connect import CONNECT_REST_PORT, ClusterConnection, Connect, ConnectAuthentication, Connector
from ..project_files import CHARTS
from ..properties import property_line
from .broker_config import jvm_env, log4j_java_option, logging_file, logging_file_name
from .metrics import (_DEFAULT_METRICS_AGENT_SOURCE, _DEFAULT_METRICS_REPORTER_SOURCE, _METRICS_REPORTER_CLASS,
                      METRICS_AGENT_COPY_SCRIPT, METRICS_AGENT_JAR, METRICS_PORT)
from .naming import connect_common_labels, connect_hook_pod_labels, connect_names, connect_selector
from .pods import (CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, PROBE_DEFAULTS, env_list, image,
                   metadata_of, pod_spec)

_CONFIG_DIR = "/opt/kafka/custom-config"
_SCRIPTS_DIR = "/opt/kafka/kafkac"
_WORK_DIR = "/tmp/kafka"
_PLUGINS_DIR = "/opt/kafka/plugins"  # where the build puts each plugin's folder
_TRUSTED_CERTS_DIR = "/opt/kafka/connect-certs"  # one folder per Secret
_CLIENT_CERT_DIR = "/opt/kafka/connect-client-cert"
_PASSWORD_DIR = "/opt/kafka/connect-password"
# The Secrets of the clusters other than the workers' own (MirrorMaker 2's sources), by alias.
_REMOTE_CERTS_DIR = "/opt/kafka/mirror-certs"
_REMOTE_CLIENT_CERT_DIR = "/opt/kafka/mirror-client-cert"
_REMOTE_PASSWORD_DIR = "/opt/kafka/mirror-password"
_RACK_INIT_DIR = "/opt/kafka/init"
_METRICS_CONFIG_DIR = "/opt/kafka/metrics-config"
_METRICS_AGENT_DIR = "/opt/kafka/metrics-agent"
_METRICS_FILE = "metrics-config.yml"
_TRUSTSTORE = f"{_WORK_DIR}/trusted-certificates.pem"
_REST_PORT_NAME = "rest-api"
_TMP_SIZE_LIMIT = "100Mi"
METRICS_REPORTER_CLASS = _METRICS_REPORTER_CLASS
# Kafka's own config providers, under Strimzi's names, so `${strimzidir:...}`, `${strimzifile:...}`
# and `${strimzienv:...}` written for Strimzi keep working; a user's providers come after them.
_CONFIG_PROVIDERS = {
    "strimzienv": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
    "strimzifile": "org.apache.kafka.common.config.provider.FileConfigProvider",
    "strimzidir": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
}
# KIP-1017's health endpoint answers 200 once the worker has joined its group and read the
# config topic to its end (Kafka 3.9 and newer); before 3.9 the root answers once the REST
# server is up.
_HEALTH_SINCE = (3, 9)
# The connectors Job: curl against the REST API, in the curl project's own image.
DEFAULT_CURL_IMAGE = "curlimages/curl:8.11.1"
_CURL_UID = 100  # curl_user in the curl image
# The connector option that marks a connector as created by this chart (its value is the
# KafkaConnect's name), and the one holding the checksum of the options the chart gave it.
MANAGED_BY_OPTION = "kafkac.io.managed-by"
CHECKSUM_OPTION = "kafkac.io.config-checksum"
# The build context's fetch step; it runs in the image build, not in the chart.
FETCH_PLUGINS_SCRIPT = (CHARTS / "connect" / "files" / "fetch-plugins.sh").read_text(encoding="utf-8")


def _names(connect: Connect):
    return connect_names(connect.name, connect.kind)


def connect_values(connect: Connect) -> dict:
    names = _names(connect)
    template = connect.template
    return {
        "connect": {"name": connect.name, "kind": connect.kind, "kafkaVersion": connect.kafka_version,
                    "bootstrapServers": connect.bootstrap_servers},
        "image": image(connect.image),
        "commonLabels": connect_common_labels(connect.name, connect.kafka_version, connect.kind),
        "workers": _workers(connect),
        "services": {
            "api": {"name": names.api_service, "port": CONNECT_REST_PORT, "portName": _REST_PORT_NAME,
                    **metadata_of(template.get("apiService") or {}),
                    **_ip_families(template.get("apiService") or {})},
            "headless": {"name": names.connect, **metadata_of(template.get("headlessService") or {}),
                         **_ip_families(template.get("headlessService") or {})},
        },
        "podDisruptionBudget": {"name": names.connect,
                                "maxUnavailable": (template.get("podDisruptionBudget") or {}).get("maxUnavailable", 1),
                                **metadata_of(template.get("podDisruptionBudget") or {})},
        "serviceAccount": {"name": names.connect, **metadata_of(template.get("serviceAccount") or {})},
        "networkPolicy": _network_policy(connect),
        "configMapName": names.config_map,
        "scriptsConfigMapName": names.scripts_config_map,
        "workerProperties": worker_properties(connect),
        "logging": logging_file(connect.logging, connect.kafka_version),
        "metrics": _metrics(connect),
        "rackAwareness": _rack_awareness(connect),
        "connectors": connectors_values(connect),
    }


def _ip_families(section: dict) -> dict:
    return {key: section[key] for key in ("ipFamilyPolicy", "ipFamilies") if key in section}


# --- the worker's configuration ------------------------------------------------------------

def worker_properties(connect: Connect) -> str:
    """connect-distributed.properties without what depends on the pod (connect-run.sh adds the
    advertised host name and the rack)."""
    config = dict(connect.config)
    user_providers = [p.strip() for p in config.pop("config.providers", "").split(",") if p.strip()]
    entries = [("bootstrap.servers", connect.bootstrap_servers)]
    entries += _security_properties(connect)
    entries += [
        ("listeners", f"http://:{CONNECT_REST_PORT}"),
        ("rest.advertised.port", str(CONNECT_REST_PORT)),
        ("rest.advertised.listener", "http"),
        ("plugin.path", _PLUGINS_DIR),
        ("config.providers", ",".join(dict.fromkeys([*_CONFIG_PROVIDERS, *user_providers]))),
        *((f"config.providers.{name}.class", cls) for name, cls in _CONFIG_PROVIDERS.items()),
    ]
    entries += list(config.items())
    entries += _metrics_reporter_properties(connect)
    return "".join(property_line(key, value) + "\n" for key, value in entries)


def _metrics_reporter_properties(connect: Connect) -> list[tuple[str, str]]:
    """Strimzi's metrics reporter in the worker, serving on 9404, and in its clients, which
    report through the worker's endpoint, as Strimzi's KafkaConnectConfigurationBuilder sets it."""
    if connect.metrics is None or not connect.metrics.is_reporter:
        return []
    allow_list = ",".join(connect.metrics.allow_list)
    entries = [("metric.reporters", METRICS_REPORTER_CLASS),
               ("prometheus.metrics.reporter.listener.enable", "true"),
               ("prometheus.metrics.reporter.listener", f"http://:{METRICS_PORT}"),
               ("prometheus.metrics.reporter.allowlist", allow_list)]
    for prefix in ("admin.", "producer.", "consumer."):
        entries += [(f"{prefix}metric.reporters", METRICS_REPORTER_CLASS),
                    (f"{prefix}prometheus.metrics.reporter.listener.enable", "false"),
                    (f"{prefix}prometheus.metrics.reporter.allowlist", allow_list)]
    return entries


@dataclass(frozen=True)
class _Mounts:
    """Where the pod holds one cluster's secrets: the PEM trust store connect-run.sh joins, the
    client certificate's Secret, and the folder of the password Secrets (one folder each)."""

    truststore: str
    client_cert_dir: str
    password_dir: str


_WORKER_MOUNTS = _Mounts(_TRUSTSTORE, _CLIENT_CERT_DIR, _PASSWORD_DIR)


def _remote_mounts(alias: str) -> _Mounts:
    """A remote cluster's (MirrorMaker 2's sources): folders of its alias."""
    return _Mounts(f"{_WORK_DIR}/trusted-certificates-{alias}.pem", f"{_REMOTE_CLIENT_CERT_DIR}/{alias}",
                   f"{_REMOTE_PASSWORD_DIR}/{alias}")


def _client_security(tls: bool, trusted: bool, auth: ConnectAuthentication | None, mounts: _Mounts
                     ) -> list[tuple[str, str]]:
    """A Kafka client's connection options: protocol, trust store, and the client certificate or
    the SASL login, whose secrets the DirectoryConfigProvider reads from the mounted Secrets."""
    mechanism = auth.sasl_mechanism if auth else None
    protocol = ("SASL_SSL" if tls else "SASL_PLAINTEXT") if mechanism else ("SSL" if tls else "PLAINTEXT")
    common = [("security.protocol", protocol)]
    if tls and trusted:
        common += [("ssl.truststore.type", "PEM"), ("ssl.truststore.location", mounts.truststore)]
    if auth is not None and auth.type == "tls":
        secret, cert_key, key_key = auth.certificate_secret
        common += [("ssl.keystore.type", "PEM"),
                   ("ssl.keystore.certificate.chain", f"${{strimzidir:{mounts.client_cert_dir}:{cert_key}}}"),
                   ("ssl.keystore.key", f"${{strimzidir:{mounts.client_cert_dir}:{key_key}}}")]
    if mechanism:
        module = ("org.apache.kafka.common.security.plain.PlainLoginModule" if auth.type == "plain"
                  else "org.apache.kafka.common.security.scram.ScramLoginModule")
        secret, key = auth.password_secret
        # A folder per Secret, as Strimzi mounts it.
        password = f"${{strimzidir:{mounts.password_dir}/{secret}:{key}}}"
        common += [("sasl.mechanism", mechanism),
                   ("sasl.jaas.config", f'{module} required username={json.dumps(auth.username)} '
                                        f'password="{password}";')]
    return common


def _security_properties(connect: Connect) -> list[tuple[str, str]]:
    """The worker's connection to Kafka, for itself and for its producers, consumers and
    admin clients, which Connect configures under prefixes of their own."""
    common = _client_security(connect.tls, bool(connect.trusted_certificates), connect.authentication,
                              _WORKER_MOUNTS)
    entries = list(common)
    for prefix in ("producer.", "consumer.", "admin."):
        entries += [(prefix + key, value) for key, value in common]
    return entries


# --- the workers -------------------------------------------------------------------------

def _workers(connect: Connect) -> dict:
    names = _names(connect)
    template = connect.template
    container = template.get("connectContainer") or {}
    pod = template.get("pod") or {}
    return {
        "name": names.connect,
        "replicas": connect.replicas,
        "selectorLabels": connect_selector(connect.name, connect.kind),
        "statefulSetMetadata": metadata_of(template.get("podSet") or {}),
        "podMetadata": metadata_of(pod),
        "podSpec": pod_spec(pod, names.connect, connect.mounts_api_token, POD_SECURITY_CONTEXT),
        "initContainers": _init_containers(connect),
        "env": _env(connect) + list(container.get("env", [])),
        "ports": [{"name": _REST_PORT_NAME, "containerPort": CONNECT_REST_PORT, "protocol": "TCP"}]
        + ([{"name": "tcp-prometheus", "containerPort": METRICS_PORT, "protocol": "TCP"}] if connect.metrics else []),
        "readinessProbe": {"httpGet": {"path": _readiness_path(connect), "port": _REST_PORT_NAME},
                           **PROBE_DEFAULTS, **connect.readiness_probe},
        "livenessProbe": {"httpGet": {"path": "/", "port": _REST_PORT_NAME},
                          **PROBE_DEFAULTS, **connect.liveness_probe},
        "resources": connect.resources,
        "containerSecurityContext": container.get("securityContext", CONTAINER_SECURITY_CONTEXT),
        "volumes": _volumes(connect),
        "volumeMounts": _volume_mounts(connect) + list(container.get("volumeMounts", [])),
    }


def _readiness_path(connect: Connect) -> str:
    release = kafka_minor(connect.kafka_version)
    return "/health" if release >= _HEALTH_SINCE else "/"


def _env(connect: Connect) -> list[dict]:
    names = _names(connect)
    env = {
        "KAFKAC_HEADLESS_SERVICE": names.connect,
        "KAFKAC_CONFIG_DIR": _CONFIG_DIR,
        "KAFKAC_WORK_DIR": _WORK_DIR,
        "KAFKAC_TRUSTED_CERTIFICATES": " ".join(
            f"{_TRUSTED_CERTS_DIR}/{c.secret_name}/{c.certificate or c.pattern}" for c in connect.trusted_certificates),
        "KAFKAC_TRUSTSTORE": _TRUSTSTORE if connect.tls and connect.trusted_certificates else "",
        "KAFKA_LOG4J_OPTS": log4j_java_option(logging_file_name(connect.kafka_version), _CONFIG_DIR),
        "LOG_DIR": f"{_WORK_DIR}/logs",
    }
    if any(c.tls and c.trusted_certificates for c in connect.remote_clusters):
        env["KAFKAC_CLUSTER_TRUSTSTORES"] = _cluster_truststores(connect)
    rack: Rack | None = connect.rack
    if rack is not None:
        if rack.type == "topology-label":
            env["KAFKAC_RACK_FILE"] = f"{_RACK_INIT_DIR}/rack.id"
        else:
            env["KAFKAC_RACK_ENV_VAR"] = rack.env_var_name
    env.update(jvm_env(connect.jvm_options, connect.resources))
    if connect.metrics is not None and connect.metrics.is_reporter:
        env["KAFKAC_METRICS_CLASSPATH"] = f"{_METRICS_AGENT_DIR}/*"
    elif connect.metrics is not None:
        env["KAFKAC_METRICS_AGENT_OPTS"] = (f"-javaagent:{_METRICS_AGENT_DIR}/{METRICS_AGENT_JAR}="
                                            f"{METRICS_PORT}:{_METRICS_CONFIG_DIR}/{_METRICS_FILE}")
    return env_list(env)


def _cluster_truststores(connect: Connect) -> str:
    """For connect-run.sh, a line per remote cluster over TLS: its PEM trust store, then the
    certificates (or patterns) to join into it."""
    lines = []
    for cluster in connect.remote_clusters:
        if cluster.tls and cluster.trusted_certificates:
            lines.append(" ".join([_remote_mounts(cluster.alias).truststore, *(
                f"{_REMOTE_CERTS_DIR}/{cluster.alias}/{c.secret_name}/{c.certificate or c.pattern}"
                for c in cluster.trusted_certificates)]))
    return "\n".join(lines)


def _remote_secrets(connect: Connect) -> list[tuple[str, str, str]]:
    """(volume name, Secret, mount path) of every Secret of the remote clusters."""
    secrets = []
    for cluster in connect.remote_clusters:
        mounts = _remote_mounts(cluster.alias)
        for secret in dict.fromkeys(c.secret_name for c in cluster.trusted_certificates):
            secrets.append((_volume_name("mirror-trusted", cluster.alias, secret), secret,
                            f"{_REMOTE_CERTS_DIR}/{cluster.alias}/{secret}"))
        auth = cluster.authentication
        if auth is not None and auth.certificate_secret:
            secrets.append((_volume_name("mirror-cert", cluster.alias), auth.certificate_secret[0],
                            mounts.client_cert_dir))
        if auth is not None and auth.password_secret:
            secrets.append((_volume_name("mirror-password", cluster.alias), auth.password_secret[0],
                            f"{mounts.password_dir}/{auth.password_secret[0]}"))
    return secrets


def _volume_name(*parts: str) -> str:
    """A volume name (a DNS label) for a Secret of a cluster alias, which may hold capitals, '.'
    and '_': unique, as a digest is added whenever the name had to change."""
    wanted = "-".join(parts)
    name = re.sub(r"[^a-z0-9-]+", "-", wanted.lower()).strip("-")
    if name == wanted and len(name) <= 63:
        return name
    return f"{name[:54].rstrip('-')}-{hashlib.sha256(wanted.encode()).hexdigest()[:8]}"


def _volumes(connect: Connect) -> list[dict]:
    names = _names(connect)
    pod = connect.template.get("pod") or {}
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": str(pod.get("tmpDirSizeLimit", _TMP_SIZE_LIMIT))}},
        {"name": "connect-config", "configMap": {"name": names.config_map}},
        {"name": "kafkac-scripts", "configMap": {"name": names.scripts_config_map}},
    ]
    for secret in dict.fromkeys(c.secret_name for c in connect.trusted_certificates):
        volumes.append({"name": _secret_volume_name("trusted", secret), "secret": {"secretName": secret}})
    auth = connect.authentication
    if auth is not None and auth.certificate_secret:
        volumes.append({"name": "client-cert", "secret": {"secretName": auth.certificate_secret[0]}})
    if auth is not None and auth.password_secret:
        volumes.append({"name": "client-password", "secret": {"secretName": auth.password_secret[0]}})
    volumes += [{"name": volume, "secret": {"secretName": secret}} for volume, secret, _ in _remote_secrets(connect)]
    if connect.rack is not None and connect.rack.type == "topology-label":
        volumes.append({"name": "rack-volume", "emptyDir": {"sizeLimit": "1Mi"}})
    if connect.metrics is not None and not connect.metrics.is_reporter:
        volumes.append({"name": "metrics-config", "configMap": {"name": names.metrics_config_map}})
    if connect.metrics is not None:
        volumes.append({"name": "metrics-agent", "emptyDir": {"sizeLimit": "16Mi"}})
    return volumes + list(pod.get("volumes", []))


def _volume_mounts(connect: Connect) -> list[dict]:
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "connect-config", "mountPath": _CONFIG_DIR, "readOnly": True},
        {"name": "kafkac-scripts", "mountPath": _SCRIPTS_DIR, "readOnly": True},
    ]
    for secret in dict.fromkeys(c.secret_name for c in connect.trusted_certificates):
        mounts.append({"name": _secret_volume_name("trusted", secret), "mountPath": f"{_TRUSTED_CERTS_DIR}/{secret}",
                       "readOnly": True})
    auth = connect.authentication
    if auth is not None and auth.certificate_secret:
        mounts.append({"name": "client-cert", "mountPath": _CLIENT_CERT_DIR, "readOnly": True})
    if auth is not None and auth.password_secret:
        mounts.append({"name": "client-password", "mountPath": f"{_PASSWORD_DIR}/{auth.password_secret[0]}",
                       "readOnly": True})
    mounts += [{"name": volume, "mountPath": path, "readOnly": True} for volume, _, path in _remote_secrets(connect)]
    if connect.rack is not None and connect.rack.type == "topology-label":
        mounts.append({"name": "rack-volume", "mountPath": _RACK_INIT_DIR, "readOnly": True})
    if connect.metrics is not None and not connect.metrics.is_reporter:
        mounts.append({"name": "metrics-config", "mountPath": _METRICS_CONFIG_DIR, "readOnly": True})
    if connect.metrics is not None:
        mounts.append({"name": "metrics-agent", "mountPath": _METRICS_AGENT_DIR, "readOnly": True})
    return mounts


def _secret_volume_name(kind: str, secret: str) -> str:
    """A volume name (a DNS label) for a Secret, unique even when the Secret's name is long."""
    name = f"{kind}-{secret}".replace(".", "-")
    if len(name) <= 63:
        return name
    return f"{name[:54].rstrip('-')}-{hashlib.sha256(secret.encode()).hexdigest()[:8]}"


def _init_containers(connect: Connect) -> list[dict]:
    containers = []
    init = connect.template.get("initContainer") or {}
    if connect.rack is not None and connect.rack.type == "topology-label":
        containers.append({
            "name": "kafka-init",
            "image": connect.rack.init_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["/opt/strimzi/bin/kafka_init_run.sh"],
            "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                    {"name": "RACK_TOPOLOGY_KEY", "value": connect.rack.topology_key},
                    {"name": "INIT_FOLDER", "value": _RACK_INIT_DIR}, *init.get("env", [])],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
            "securityContext": init.get("securityContext", CONTAINER_SECURITY_CONTEXT),
            "volumeMounts": [{"name": "rack-volume", "mountPath": _RACK_INIT_DIR}, *init.get("volumeMounts", [])],
        })
    if connect.metrics is not None:
        containers.append({
            "name": "metrics-agent",
            "image": STRIMZI_KAFKA_IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "command": ["/bin/sh", "-c", METRICS_AGENT_COPY_SCRIPT],
            "env": env_list({"KAFKAC_AGENT_SOURCE": _DEFAULT_METRICS_REPORTER_SOURCE, "KAFKAC_AGENT_DIR": _METRICS_AGENT_DIR}
                            if connect.metrics.is_reporter else
                            {"KAFKAC_AGENT_SOURCE": _DEFAULT_METRICS_AGENT_SOURCE, "KAFKAC_AGENT_DIR": _METRICS_AGENT_DIR,
                             "KAFKAC_AGENT_JAR": METRICS_AGENT_JAR}),
            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
            "securityContext": CONTAINER_SECURITY_CONTEXT,
            "volumeMounts": [{"name": "metrics-agent", "mountPath": _METRICS_AGENT_DIR}],
        })
    return containers


def _metrics(connect: Connect) -> dict | None:
    if connect.metrics is None or connect.metrics.is_reporter:
        return None
    return {"configMapName": _names(connect).metrics_config_map, "fileName": _METRICS_FILE,
            "content": connect.metrics.exporter_config or ""}


def _rack_awareness(connect: Connect) -> dict | None:
    if connect.rack is None or connect.rack.type != "topology-label":
        return None
    return {"clusterRoleBindingName": f"{_names(connect).connect}-init",
            **metadata_of(connect.template.get("clusterRoleBinding") or {})}


def _network_policy(connect: Connect) -> dict:
    """Strimzi's NetworkPolicy of a Connect: the REST API only from the workers themselves and
    the chart's connectors Job (Strimzi: and its operator), the metrics port from everyone."""
    workers = {"podSelector": {"matchLabels": connect_selector(connect.name, connect.kind)}}
    job = {"podSelector": {"matchLabels": connect_hook_pod_labels(connect.name, "connectors", connect.kind)}}
    rules = [{"ports": [{"port": CONNECT_REST_PORT, "protocol": "TCP"}], "from": [workers, job]}]
    if connect.metrics is not None:
        rules.append({"ports": [{"port": METRICS_PORT, "protocol": "TCP"}]})
    return {"name": _names(connect).network_policy,
            "spec": {"podSelector": workers["podSelector"], "policyTypes": ["Ingress"], "ingress": rules}}


# --- spec.build -------------------------------------------------------------------------------

def build_files(connect: Connect) -> dict[str, str]:
    """The build context of spec.build, written into the chart's build/ folder (which Helm
    ignores): a Containerfile on the Connect image, the fetch script and the list of artifacts
    it fetches and checks; for output type imagestream also openshift.yaml, the ImageStream and
    the BuildConfig that build the same context inside OpenShift."""
    build = connect.build
    if build is None:
        return {}
    files = {
        "build/Containerfile": _containerfile(connect),
        "build/fetch-plugins.sh": FETCH_PLUGINS_SCRIPT,
        "build/plugins.txt": plugins_list(connect),
    }
    if build.output_type == "imagestream":
        files["build/openshift.yaml"] = _openshift_build(connect)
    return files


def _base_image(connect: Connect) -> str:
    return connect.document.get("spec", "image") or f"apache/kafka:{connect.kafka_version}"


def _containerfile(connect: Connect) -> str:
    return "\n".join([
        f"# Kafka Connect {connect.name}: the Connect image with its connector plugins in {_PLUGINS_DIR}.",
        "# Build in CI from this folder, for example:",
        f"#   podman build -t {connect.build.image} -f Containerfile .",
        "# (or docker build / buildah bud). fetch-plugins.sh downloads every artifact of plugins.txt",
        "# and refuses to build when one does not match its SHA-512 checksum.",
        f"FROM {_base_image(connect)}",
        "USER root",
        "COPY fetch-plugins.sh plugins.txt /tmp/kafkac-build/",
        f"RUN sh /tmp/kafkac-build/fetch-plugins.sh /tmp/kafkac-build/plugins.txt {_PLUGINS_DIR} \\",
        f"    && chown -R 1000:1000 {_PLUGINS_DIR} && rm -rf /tmp/kafkac-build",
        "USER 1000",
        "",
    ])


def _openshift_build(connect: Connect) -> str:
    """The ImageStream the workers' image names (with local lookup, so `name:tag` resolves in
    the namespace) and a BuildConfig that builds the context on every change of it."""
    names = _names(connect)
    build = connect.build
    stream, _, tag = build.image.partition(":")
    labels = connect_common_labels(connect.name, connect.kafka_version, connect.kind)
    template = metadata_of(connect.template.get("buildConfig") or {})
    context_map = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": names.build, "labels": labels},
                   "data": {"fetch-plugins.sh": FETCH_PLUGINS_SCRIPT, "plugins.txt": plugins_list(connect)}}
    image_stream = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                    "metadata": {"name": stream, "labels": labels}, "spec": {"lookupPolicy": {"local": True}}}
    output = {"to": {"kind": "ImageStreamTag", "name": f"{stream}:{tag or 'latest'}"}}
    if build.push_secret:
        output["pushSecret"] = {"name": build.push_secret}
    build_config = {
        "apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
        "metadata": {"name": names.build, "labels": {**template["labels"], **labels},
                     **({"annotations": template["annotations"]} if template["annotations"] else {})},
        "spec": {
            "runPolicy": "Serial",
            "source": {"type": "Dockerfile", "dockerfile": _containerfile(connect),
                       "configMaps": [{"configMap": {"name": names.build}}]},
            "strategy": {"type": "Docker", "dockerStrategy": {}},
            "output": output,
            "resources": build.resources,
            "triggers": [{"type": "ConfigChange"}],
        },
    }
    header = (f"# OpenShift builds the image of Kafka Connect {connect.name} from this context:\n"
              f"#   oc apply -n <namespace> -f openshift.yaml\n")
    return header + yaml.dump_all([context_map, image_stream, build_config], Dumper=_BlockDumper,
                                  sort_keys=False, default_flow_style=False, width=1000)


class _BlockDumper(yaml.SafeDumper):
    """Writes text of several lines as a literal block, readable as the files it holds."""


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value.rstrip("\n") and all(line == line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def plugins_list(connect: Connect) -> str:
    """One line an artifact, read by fetch-plugins.sh:
    `<plugin> <type> <file name> <sha512 or -> <url>`; none of the fields holds a blank."""
    lines = []
    for plugin in connect.build.plugins:
        for artifact in plugin.artifacts:
            lines.append(" ".join((plugin.name, artifact.type, artifact.file_name, artifact.sha512sum or "-",
                                   artifact.url)))
    return "\n".join(lines) + "\n"


# --- KafkaConnectors ---------------------------------------------------------------------------

def connectors_values(connect: Connect) -> dict | None:
    """The connectors Job: each connector's options as the REST API takes them, with the marker
    of the chart that created it and the checksum of those options."""
    if not connect.use_connector_resources:
        return None
    names = _names(connect)
    return {
        "jobName": names.connectors_job,
        "configMapName": names.connectors_config_map,
        "image": image(DEFAULT_CURL_IMAGE),
        "podLabels": connect_hook_pod_labels(connect.name, "connectors", connect.kind),
        "apiUrl": f"http://{names.api_service}:{CONNECT_REST_PORT}",
        "managedBy": connect.name,
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": _CURL_UID, "runAsGroup": _CURL_UID,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
        "connectors": [_connector(connect, c) for c in connect.connectors],
    }


def _connector(connect: Connect, connector: Connector) -> dict:
    values = {"name": connector.name, "state": connector.state,
              "autoRestart": connector.auto_restart, "config": connector_config_json(connect, connector)}
    if not _CONFIG_MAP_KEY.match(connector.name):
        # A name a ConfigMap key cannot be (MirrorMaker 2's `a->b.MirrorSourceConnector`).
        values["file"] = re.sub(r"[^-._a-zA-Z0-9]", "_", connector.name) + \
            f"-{hashlib.sha256(connector.name.encode()).hexdigest()[:8]}.json"
    return values


_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def _cluster_options(connect: Connect, connector: Connector) -> dict:
    """The connections to the clusters the connector reaches, under its prefixes: the workers'
    own cluster through the workers' Secrets, the others through theirs; then each cluster's
    options; as Strimzi's KafkaMirrorMaker2Connectors writes them."""
    by_alias = {c.alias: c for c in connect.clusters}
    options = {}
    for prefix, alias in connector.clusters:
        cluster: ClusterConnection = by_alias[alias]
        mounts = _WORKER_MOUNTS if alias == connect.target_alias else _remote_mounts(alias)
        entries = [("alias", alias), ("bootstrap.servers", cluster.bootstrap_servers),
                   *_client_security(cluster.tls, bool(cluster.trusted_certificates), cluster.authentication, mounts),
                   *cluster.config.items()]
        options.update({prefix + key: value for key, value in entries})
    if connector.clusters and connect.rack is not None:
        # The connectors' consumers fetch from the closest replica: the rack connect-run.sh wrote.
        options["consumer.client.rack"] = f"${{strimzifile:{_WORK_DIR}/connect.properties:consumer.client.rack}}"
    if connector.clusters and connect.metrics is not None and connect.metrics.is_reporter:
        options["metric.reporters"] = METRICS_REPORTER_CLASS
        options["prometheus.metrics.reporter.listener.enable"] = "false"
    return options


def connector_config_json(connect: Connect, connector: Connector) -> str:
    """The options PUT to /connectors/<name>/config: one line of JSON, keys sorted, with the
    marker and the checksum of the rest, so the Job sees a change without parsing JSON."""
    config = {"connector.class": connector.class_name, **_cluster_options(connect, connector), **connector.config}
    if connector.tasks_max is not None:
        config["tasks.max"] = str(connector.tasks_max)
    config[MANAGED_BY_OPTION] = connect.name
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    config[CHECKSUM_OPTION] = hashlib.sha256(text.encode()).hexdigest()
    return json.dumps(config, sort_keys=True, separators=(",", ":"))
