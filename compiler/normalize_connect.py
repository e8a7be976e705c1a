"""KafkaConnects and their KafkaConnectors: defaults applied, options checked, the build's
artifacts resolved to URLs, and, when the Kafka that bootstrapServers names is among the
inputs, the Connect's TLS and authentication checked against that Kafka's listener.

A Connect is compiled to a chart of its own, so it needs no Kafka among the inputs.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from urllib.parse import urlsplit

from .cluster_members import CLUSTER_LABEL, in_namespace, matching_keys, namespace_of
from .convert import is_external_configuration_mount
from .container_env import reserved_names
from .findings import FieldPath, Finding, dotted, defined_twice, error, warning
from .document import Document, Documents
from .model import (DEFAULT_IMAGE_REPOSITORY, DEFAULT_KAFKA_VERSION, DEFAULT_RACK_INIT_IMAGE,
                    SUPPORTED_KAFKA_VERSIONS, Cluster, Logging, Metrics, Rack)
from .model_connect import (MAVEN_CENTRAL, USE_CONNECTOR_RESOURCES, Artifact, Connect, ConnectAuthentication,
                            ConnectBuild, Connector, Plugin, TrustedCertificate)
from .config_map_settings import config_map_value, log_configuration, metrics_config
from .normalize import LOG_LEVELS
from .normalize_pools import jvm_options
from .properties import config_text

# KafkaConnectSpec.FORBIDDEN_PREFIXES and FORBIDDEN_PREFIX_EXCEPTIONS of Strimzi's API: options
# the chart sets itself from other fields.
FORBIDDEN_CONNECT_PREFIXES = ("ssl.", "sasl.", "security.", "listeners", "plugin.path", "rest.",
                              "bootstrap.servers", "consumer.interceptor.classes",
                              "producer.interceptor.classes", "prometheus.metrics.reporter.")
FORBIDDEN_CONNECT_EXCEPTIONS = frozenset({"ssl.endpoint.identification.algorithm", "ssl.cipher.suites",
                                          "ssl.protocol", "ssl.enabled.protocols"})
# Strimzi's defaults of a worker (KafkaConnectConfiguration.DEFAULTS), and the spec fields of
# Strimzi's v1 API that give the group and its topics.
CONNECT_DEFAULTS = {
    "group.id": "connect-cluster",
    "offset.storage.topic": "connect-cluster-offsets",
    "config.storage.topic": "connect-cluster-configs",
    "status.storage.topic": "connect-cluster-status",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "config.storage.replication.factor": "3",
    "offset.storage.replication.factor": "3",
    "status.storage.replication.factor": "3",
}
SPEC_OPTIONS = {"groupId": "group.id", "configStorageTopic": "config.storage.topic",
                "statusStorageTopic": "status.storage.topic", "offsetStorageTopic": "offset.storage.topic"}
DEFAULT_CONNECT_REPLICAS = 3
# KafkaConnectCluster.DEFAULT_METRICS_ALLOW_LIST of Strimzi's operator: what the metrics
# reporter serves when metricsConfig.values.allowList is not given.
CONNECT_METRICS_ALLOW_LIST = (
    "kafka_admin_client_admin_client_metrics_connection_count",
    "kafka_connect_connect_coordinator_metrics.*",
    "kafka_connect_connector_metrics.*",
    "kafka_connect_connector_task_metrics.*",
    "kafka_connect_connect_worker_metrics_.*",
    "kafka_connect_connect_worker_rebalance.*",
    "kafka_connect_mirror_mirrorcheckpointconnector.*",
    "kafka_connect_mirror_mirrorsourceconnector.*",
    "kafka_connect_task_error_metrics.*",
    "kafka_consumer_consumer_coordinator_metrics.*",
    "kafka_consumer_consumer_fetch_manager_metrics.*",
    "kafka_consumer_consumer_metrics.*",
    "kafka_producer_producer_metrics.*",
    "kafka_producer_producer_node_metrics_incoming_byte",
    "kafka_producer_producer_topic.*",
)
# Connector options the KafkaConnector's own fields give.
CONNECTOR_SPEC_OPTIONS = {"connector.class": "class", "tasks.max": "tasksMax"}
_BOOTSTRAP_SERVICE = re.compile(r"^(?P<cluster>[a-z0-9]([-a-z0-9]*[a-z0-9])?)-kafka-bootstrap"
                                r"(\.(?P<namespace>[a-z0-9-]+)(\.svc(\.[a-z0-9.-]+)?)?)?$")
_IMAGE_STREAM_TAG = re.compile(r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")
# Strimzi's config providers that read a Secret or a ConfigMap through the Kubernetes API
# (its kafka-kubernetes-config-provider), which Strimzi's images carry and apache/kafka does not.
KUBERNETES_CONFIG_PROVIDERS = {"io.strimzi.kafka.KubernetesSecretConfigProvider": "Secret",
                               "io.strimzi.kafka.KubernetesConfigMapConfigProvider": "ConfigMap"}
# How a build artifact that brings them is named (kafka-kubernetes-config-provider-<version>...).
_KUBERNETES_CONFIG_PROVIDER_ARTIFACT = "kubernetes-config-provider"
# Connector options whose value is a credential.
_SECRET_OPTION = re.compile(r"(password|secret|credentials?|api[._-]?key|token)$", re.IGNORECASE)


def connects(documents: Documents, clusters: list[Cluster]) -> tuple[list[Connect], list[Finding]]:
    findings: list[Finding] = []
    by_key: dict[tuple[str | None, str], Document] = {}
    for doc in documents.documents:
        if doc.kind != "KafkaConnect":
            continue
        key = (namespace_of(doc), doc.name)
        if key in by_key:
            findings.append(defined_twice("connect.duplicate", doc, by_key[key]))
            continue
        by_key[key] = doc
    charts = {cluster.name for cluster in clusters}
    for (_, name), doc in list(by_key.items()):
        if f"{name}-connect" in charts:
            findings.append(error(
                "connect.chart-name", f"KafkaConnect {name} compiles to the chart {name}-connect, and a Kafka of "
                "that name compiles to a chart of the same name", doc.span_of(("metadata", "name")),
                ("metadata", "name"), f"a KafkaConnect name other than {name}, or another name for the Kafka"))
            del by_key[(_, name)]
    connector_docs = _connectors_by_connect(documents, by_key, findings)
    config_maps = {(namespace_of(d), d.name): d for d in documents.documents if d.kind == "ConfigMap"}
    result = []
    for key, doc in by_key.items():
        connect = _connect(doc, connector_docs.get(key, []), config_maps, clusters, findings)
        if connect is not None:
            result.append(connect)
    return result, findings


def _connectors_by_connect(documents: Documents, connects_by_key: dict, findings: list[Finding]
                           ) -> dict[tuple[str | None, str], list[Document]]:
    by_connect: dict[tuple[str | None, str], list[Document]] = {}
    for doc in documents.documents:
        if doc.kind != "KafkaConnector":
            continue
        path: FieldPath = ("metadata", "labels")
        name = doc.labels.get(CLUSTER_LABEL)
        if not name:
            findings.append(error(
                "connector.cluster-label", f"KafkaConnector {doc.name} has no {CLUSTER_LABEL} label",
                doc.span_of(path), path, f"a label {CLUSTER_LABEL}: <name of its KafkaConnect>"))
            continue
        found = matching_keys(connects_by_key, namespace_of(doc), name)
        if len(found) != 1:
            here = ", ".join(sorted(n for _, n in connects_by_key)) or "none"
            findings.append(warning(
                "connector.other-connect", f"KafkaConnector {doc.name} names KafkaConnect {name}, which is "
                f"not among the inputs{' in ' + in_namespace(namespace_of(doc)) if namespace_of(doc) else ''}, "
                "so it is skipped", doc.span_of(path + (CLUSTER_LABEL,)), path + (CLUSTER_LABEL,),
                f"the name of a KafkaConnect among the inputs (found: {here})"))
            continue
        by_connect.setdefault(found[0], []).append(doc)
    return by_connect



def workers(doc: Document, config_maps: dict, findings: list[Finding]) -> dict:
    """What a KafkaConnect and a KafkaMirrorMaker2 say alike about their workers, as Connect's fields."""
    spec = doc.get("spec") or {}
    return dict(
        name=doc.name, namespace=namespace_of(doc), document=doc,
        replicas=spec.get("replicas", DEFAULT_CONNECT_REPLICAS),
        resources=dict(spec.get("resources") or {}),
        jvm_options=jvm_options(doc, ("spec", "jvmOptions"), findings),
        logging=connect_logging(doc, config_maps, findings),
        metrics=connect_metrics(doc, config_maps, findings),
        rack=connect_rack(spec),
        liveness_probe=dict(spec.get("livenessProbe") or {}),
        readiness_probe=dict(spec.get("readinessProbe") or {}),
        template=dict(spec.get("template") or {}),
        labels=dict(doc.labels), annotations=dict(doc.annotations),
    )


def _connect(doc: Document, connector_docs: list[Document], config_maps: dict, clusters: list[Cluster],
             findings: list[Finding]) -> Connect | None:
    spec = doc.get("spec", default={})
    version = workers_version(doc, findings)
    if version is None:
        return None
    before = len(findings)
    config = worker_config(doc, spec, findings)
    authentication = client_authentication(doc, spec, findings)
    build = _build(doc, spec.get("build"), findings)
    use_connectors = doc.annotations.get(USE_CONNECTOR_RESOURCES) == "true"
    connectors = tuple(c for c in (_connector(d, findings) for d in connector_docs) if c is not None)
    if connectors and not use_connectors:
        path = ("metadata", "annotations")
        findings.append(warning(
            "connect.connector-resources", f"KafkaConnect {doc.name} has {len(connectors)} KafkaConnector(s) "
            f"but not the annotation {USE_CONNECTOR_RESOURCES}: \"true\", so the chart does not apply them",
            doc.span_of(path) if doc.get(*path) else doc.span_of(("metadata",)), path,
            f"the annotation {USE_CONNECTOR_RESOURCES}: \"true\""))
    # With a build, spec.image is the build's base (the Containerfile's FROM) and the workers run
    # what the build makes, as with Strimzi.
    image = build.image if build else spec.get("image") or f"{DEFAULT_IMAGE_REPOSITORY}:{version}"
    connect = Connect(
        **workers(doc, config_maps, findings), kafka_version=version, image=image,
        bootstrap_servers=spec["bootstrapServers"], config=config, tls="tls" in spec,
        trusted_certificates=tuple(TrustedCertificate(c["secretName"], c.get("certificate"), c.get("pattern"))
                                   for c in (spec.get("tls") or {}).get("trustedCertificates") or ()),
        authentication=authentication,
        build=build,
        use_connector_resources=use_connectors,
        connectors=connectors if use_connectors else (),
    )
    findings.extend(unpaired_tls(doc, spec))
    findings.extend(container_templates(doc, spec))
    findings.extend(_image_stream(doc, spec))
    findings.extend(kubernetes_config_providers(connect, spec, image_given="image" in spec))
    cluster = target_cluster(connect, clusters)
    if cluster is not None:
        findings.extend(check_against_cluster(connect, cluster))
        connect = with_cluster(connect, cluster.name)
    if any(f.is_error for f in findings[before:]):
        return None
    return connect


def with_cluster(connect: Connect, name: str) -> Connect:
    return replace(connect, kafka_cluster=name)


def workers_version(doc: Document, findings: list[Finding]) -> str | None:
    """spec.version (kafkac's default when absent) if kafkac runs that release; else None, with an error."""
    path = ("spec", "version")
    version = (doc.get("spec") or {}).get("version", DEFAULT_KAFKA_VERSION)
    if version in SUPPORTED_KAFKA_VERSIONS:
        return version
    oldest, newest = SUPPORTED_KAFKA_VERSIONS[0], SUPPORTED_KAFKA_VERSIONS[-1]
    findings.append(error(
        "connect.version", f"Kafka Connect {version} is not a release kafkac runs ({oldest} to {newest}); "
        "a newer worker talks to older brokers, so raising the version is safe",
        doc.span_of(path), path, ", ".join(SUPPORTED_KAFKA_VERSIONS)))
    return None


def is_forbidden_connect_option(key: str) -> bool:
    lowered = key.lower()
    if lowered in FORBIDDEN_CONNECT_EXCEPTIONS:
        return False
    return any(lowered.startswith(prefix) for prefix in FORBIDDEN_CONNECT_PREFIXES)


def worker_config(doc: Document, spec: dict, findings: list[Finding], base: FieldPath = ("spec",),
                  defaults: dict = CONNECT_DEFAULTS) -> dict:
    """The defaults, then the v1 fields (groupId, the topics), then the config, as text; `spec` is
    the object at `base` (a KafkaConnect's spec, or a MirrorMaker 2's target cluster)."""
    config = dict(defaults)
    given = spec.get("config") or {}
    at = dotted(base)
    for field_name, option in SPEC_OPTIONS.items():
        if field_name not in spec:
            continue
        config[option] = spec[field_name]
        if option in given:
            path = base + ("config", option)
            findings.append(error(
                "connect.config-twice", f"{at}.config: {option!r} is given by {at}.{field_name} too",
                doc.span_of(path, key=True), path, f"only {at}.{field_name}"))
    for key, value in given.items():
        path = base + ("config", key)
        if is_forbidden_connect_option(key):
            findings.append(error(
                "connect.config-forbidden", f"{at}.config: {key!r} is set by kafkac from other fields "
                "and cannot be given here", doc.span_of(path, key=True), path,
                "tls and authentication for the connection to Kafka, build for plugins, or an option outside "
                f"the reserved prefixes ({', '.join(FORBIDDEN_CONNECT_PREFIXES)})"))
            continue
        if key in SPEC_OPTIONS.values() and any(f in spec for f, o in SPEC_OPTIONS.items() if o == key):
            continue
        config[key] = config_text(value)
    return config


def client_authentication(doc: Document, spec: dict, findings: list[Finding], base: FieldPath = ("spec",)
                          ) -> ConnectAuthentication | None:
    """The authentication of the object at `base` (a KafkaConnect's spec, a MirrorMaker 2 cluster)."""
    raw = spec.get("authentication")
    if not raw:
        return None
    path: FieldPath = base + ("authentication",)
    kind = raw["type"]

    def missing(field_name: str, what: str) -> None:
        findings.append(error(
            "connect.authentication", f"authentication type {kind} needs {field_name}", doc.span_of(path + ("type",)),
            path + (field_name,), what))

    if kind == "tls":
        pair = raw.get("certificateAndKey")
        if pair is None:
            missing("certificateAndKey", "certificateAndKey with secretName, certificate and key")
            return None
        if "tls" not in spec:
            findings.append(error(
                "connect.authentication", f"authentication type tls is a TLS client certificate, and {dotted(base)}.tls "
                "is absent, so the connection would be plaintext", doc.span_of(path + ("type",)), path + ("type",),
                f"{dotted(base)}.tls (with trustedCertificates), or a SASL authentication type"))
        return ConnectAuthentication(kind, certificate_secret=(pair["secretName"], pair["certificate"], pair["key"]))
    for field_name in ("username", "passwordSecret"):
        if field_name not in raw:
            missing(field_name, "username and passwordSecret (secretName and password: the key of the password)")
            return None
    secret = raw["passwordSecret"]
    return ConnectAuthentication(kind, username=raw["username"],
                                 password_secret=(secret["secretName"], secret["password"]))


def unpaired_tls(doc: Document, spec: dict, base: FieldPath = ("spec",)) -> list[Finding]:
    findings = []
    for i, cert in enumerate((spec.get("tls") or {}).get("trustedCertificates") or ()):
        if ("certificate" in cert) == ("pattern" in cert):
            path = base + ("tls", "trustedCertificates", i)
            findings.append(error(
                "connect.trusted-certificate", "a trusted certificate names its key with exactly one of "
                "certificate and pattern", doc.span_of(path), path, 'certificate: ca.crt, or pattern: "*.crt"'))
    return findings


def container_templates(doc: Document, spec: dict) -> list[Finding]:
    """The rules Strimzi's API sets for a container template: environment variables the chart sets
    itself are reserved, and additional volumes are mounted under /mnt."""
    findings = reserved_names(doc, ("spec", "template"), ("connectContainer", "initContainer"),
                              "connect.env-reserved")
    for container in ("connectContainer", "initContainer"):
        section = ((spec.get("template") or {}).get(container)) or {}
        for i, mount in enumerate(section.get("volumeMounts") or ()):
            mount_path = mount.get("mountPath", "") if isinstance(mount, dict) else ""
            if container == "connectContainer" and is_external_configuration_mount(doc, mount):
                continue
            if not (mount_path == "/mnt" or mount_path.startswith("/mnt/")):
                path = ("spec", "template", container, "volumeMounts", i, "mountPath")
                findings.append(error(
                    "connect.volume-mount", f"{mount_path!r} is not under /mnt: Strimzi mounts additional "
                    "volumes only there", doc.span_of(path), path, "a path under /mnt"))
    return findings


def kubernetes_config_providers(connect: Connect, spec: dict, base: FieldPath = ("spec",),
                                image_given: bool = False) -> list[Finding]:
    """A warning at each of Strimzi's Kubernetes config providers that the workers' options
    (`config` of the object at `base`) name: the chart's image lacks its jar unless spec.image
    (or a build artifact) brings it, and the pods mount no ServiceAccount token it could call
    the Kubernetes API with."""
    given = spec.get("config") or {}
    names = [n.strip() for n in config_text(given.get("config.providers", "")).split(",") if n.strip()]
    carried = image_given or any(_KUBERNETES_CONFIG_PROVIDER_ARTIFACT in artifact.url
                                 for plugin in (connect.build.plugins if connect.build else ())
                                 for artifact in plugin.artifacts)
    findings = []
    for name in dict.fromkeys(names):
        key = f"config.providers.{name}.class"
        class_name = given.get(key)
        if not isinstance(class_name, str) or class_name not in KUBERNETES_CONFIG_PROVIDERS \
                or (carried and connect.mounts_api_token):
            continue
        kind = KUBERNETES_CONFIG_PROVIDERS[class_name]
        problems = []
        if not carried:
            built = f" (spec.build's, on {DEFAULT_IMAGE_REPOSITORY}:{connect.kafka_version})" if connect.build else ""
            problems.append(f"the image {connect.image}{built} does not carry it (Strimzi's images do), so the "
                            "workers fail at start")
        if not connect.mounts_api_token:
            problems.append("the pods mount no ServiceAccount token (automountServiceAccountToken: false) for it "
                            f"to read a {kind} from the Kubernetes API with")
        expected = (f"a provider kafkac configures (strimzidir, strimzifile, strimzienv) reading the {kind} "
                    "mounted by template.pod.volumes and template.connectContainer.volumeMounts, such as "
                    "${strimzidir:/mnt/<volume>:<key>}")
        if not carried:
            expected += ", or spec.image naming an image that carries the provider" + (
                "" if connect.mounts_api_token else " (which still needs a ServiceAccount token)")
        path = base + ("config", key)
        findings.append(warning(
            "connect.kubernetes-config-provider", f"config provider {name} is Strimzi's {class_name}: "
            f"{', and '.join(problems)}", connect.document.span_of(path, key=True), path, expected))
    return findings


def _image_stream(doc: Document, spec: dict) -> list[Finding]:
    output = (spec.get("build") or {}).get("output") or {}
    if output.get("type") != "imagestream" or _IMAGE_STREAM_TAG.match(output["image"]):
        return []
    path = ("spec", "build", "output", "image")
    return [error("connect.image-stream", f"{output['image']!r} is not an ImageStream tag of the namespace",
                  doc.span_of(path), path, "<name>:<tag>, with a name that is a DNS subdomain, such as my-connect:latest")]


def _build(doc: Document, raw: dict | None, findings: list[Finding]) -> ConnectBuild | None:
    if not raw:
        return None
    plugins = []
    seen: dict[str, int] = {}
    for i, plugin in enumerate(raw["plugins"]):
        path = ("spec", "build", "plugins", i, "name")
        if plugin["name"] in seen:
            findings.append(error(
                "connect.plugin-duplicate", f"plugin {plugin['name']} is listed twice (also at index "
                f"{seen[plugin['name']]})", doc.span_of(path), path, "a unique name per plugin"))
            continue
        seen[plugin["name"]] = i
        artifacts = []
        names: set[str] = set()
        for j, artifact in enumerate(plugin["artifacts"]):
            resolved = _artifact(doc, ("spec", "build", "plugins", i, "artifacts", j), artifact, findings)
            if resolved is None:
                continue
            if resolved.file_name in names:
                resolved = Artifact(resolved.type, resolved.url, f"{j}-{resolved.file_name}", resolved.sha512sum)
            names.add(resolved.file_name)
            artifacts.append(resolved)
        plugins.append(Plugin(plugin["name"], tuple(artifacts)))
    output = raw["output"]
    return ConnectBuild(output["type"], output["image"], tuple(plugins), output.get("pushSecret"),
                        dict(raw.get("resources") or {}))


def _artifact(doc: Document, path: FieldPath, raw: dict, findings: list[Finding]) -> Artifact | None:
    kind = raw["type"]
    checksum = raw.get("sha512sum", "").lower() or None
    if kind == "maven":
        absent = [f for f in ("group", "artifact", "version") if f not in raw]
        extra = [f for f in ("url", "fileName") if f in raw]
        if absent or extra:
            findings.append(error(
                "connect.artifact", f"a maven artifact {'needs ' + ', '.join(absent) if absent else 'takes no '}"
                f"{', '.join(extra) if extra else ''}", doc.span_of(path), path,
                "group, artifact and version (and optionally repository, sha512sum)"))
            return None
        repository = raw.get("repository", MAVEN_CENTRAL).rstrip("/")
        name = f"{raw['artifact']}-{raw['version']}.jar"
        findings.append(warning(
            "connect.maven-dependencies", f"maven artifact {raw['group']}:{raw['artifact']}:{raw['version']}: "
            "the build fetches its own jar only, not the runtime dependencies that Strimzi's build copies "
            "beside it (mvn dependency:copy-dependencies), so a plugin that needs them fails with "
            "NoClassDefFoundError", doc.span_of(path), path,
            "each dependency the plugin needs as a further artifact (type jar or maven), or the plugin as one "
            "tgz or zip archive that holds its dependencies"))
        url = f"{repository}/{raw['group'].replace('.', '/')}/{raw['artifact']}/{raw['version']}/{name}"
        return Artifact(kind, url, name, checksum)
    stray = [f for f in ("group", "artifact", "version", "repository") if f in raw]
    if "url" not in raw or stray:
        findings.append(error(
            "connect.artifact", f"a {kind} artifact " + ("needs url" if "url" not in raw else
                                                         f"takes no {', '.join(stray)}"),
            doc.span_of(path), path, "url (and optionally sha512sum" + (", fileName)" if kind == "other" else ")")))
        return None
    if "fileName" in raw and kind != "other":
        findings.append(error(
            "connect.artifact", f"fileName belongs to artifacts of type other, not {kind}",
            doc.span_of(path + ("fileName",)), path + ("fileName",), "type: other, or no fileName"))
        return None
    base = posixpath.basename(urlsplit(raw["url"]).path) or "artifact"
    name = raw.get("fileName") or re.sub(r"[^A-Za-z0-9._-]", "_", base)
    if kind == "jar" and not name.endswith(".jar"):
        name += ".jar"
    return Artifact(kind, raw["url"], name, checksum)


def _connector(doc: Document, findings: list[Finding]) -> Connector | None:
    spec = doc.get("spec", default={})
    config = {}
    for key, value in (spec.get("config") or {}).items():
        if key in CONNECTOR_SPEC_OPTIONS:
            path = ("spec", "config", key)
            findings.append(error(
                "connector.config-field", f"spec.config: {key!r} is given by spec.{CONNECTOR_SPEC_OPTIONS[key]}",
                doc.span_of(path, key=True), path, f"spec.{CONNECTOR_SPEC_OPTIONS[key]}"))
            return None
        config[key] = config_text(value)
        if _SECRET_OPTION.search(key) and not config[key].startswith("${"):
            path = ("spec", "config", key)
            findings.append(warning(
                "connector.literal-secret", f"spec.config: {key!r} holds its value literally, so it ends up in "
                "the chart's values and in Connect's config topic", doc.span_of(path), path,
                "a reference the worker resolves, such as ${strimzidir:/mnt/<volume>:<key>} to a Secret mounted "
                "by the KafkaConnect's template.pod.volumes and template.connectContainer.volumeMounts"))
    restart = spec.get("autoRestart") or {}
    return Connector(doc.name, spec.get("class"), spec.get("tasksMax"), config, spec.get("state", "running"),
                     bool(restart) and restart.get("enabled", True), restart.get("maxRestarts"), doc)


def connect_logging(doc: Document, config_maps: dict, findings: list[Finding]) -> Logging:
    raw = doc.get("spec", "logging")
    if not raw:
        return Logging()
    if raw["type"] == "inline":
        loggers = dict(raw.get("loggers") or {})
        for name, level in loggers.items():
            if level not in LOG_LEVELS and not name.endswith(".name"):
                path = ("spec", "logging", "loggers", name)
                findings.append(error("logging.level", f"{level!r} is not a log level", doc.span_of(path), path,
                                      ", ".join(LOG_LEVELS)))
        return Logging("inline", loggers=loggers)
    content = config_map_value(doc, config_maps, ("spec", "logging", "valueFrom", "configMapKeyRef"), "logging",
                                log_configuration(doc.get("spec", "version")), findings)
    return Logging() if content is None else Logging("external", external_content=content)


def connect_metrics(doc: Document, config_maps: dict, findings: list[Finding]) -> Metrics | None:
    raw = doc.get("spec", "metricsConfig")
    if not raw:
        return None
    return metrics_config(doc, raw, ("spec", "metricsConfig"), config_maps, findings,
                          default_allow_list=CONNECT_METRICS_ALLOW_LIST)


def connect_rack(spec: dict) -> Rack | None:
    raw = spec.get("rack")
    if not raw:
        return None
    if raw.get("type") == "environment-variable":
        return Rack("environment-variable", env_var_name=raw["envVarName"])
    return Rack("topology-label", topology_key=raw["topologyKey"],
                init_image=spec.get("clientRackInitImage", DEFAULT_RACK_INIT_IMAGE))


# --- the Kafka of the same input ------------------------------------------------------------

def target_cluster(connect: Connect, clusters: list[Cluster]) -> Cluster | None:
    """The Kafka among the inputs whose bootstrap Service the first bootstrap address names."""
    host = connect.bootstrap_servers.split(",")[0].rsplit(":", 1)[0]
    match = _BOOTSTRAP_SERVICE.match(host)
    if not match:
        return None
    namespace = match["namespace"] or connect.namespace
    found = [c for c in clusters if c.name == match["cluster"]
             and (namespace is None or c.namespace is None or c.namespace == namespace)]
    return found[0] if len(found) == 1 else None


def check_against_cluster(connect: Connect, cluster: Cluster, base: FieldPath = ("spec",)) -> list[Finding]:
    """`base` is where the connection is written: a KafkaConnect's spec, a MirrorMaker 2's target."""
    doc = connect.document
    path: FieldPath = base + ("bootstrapServers",)
    port = int(connect.bootstrap_servers.split(",")[0].rsplit(":", 1)[1])
    listener = next((l for l in cluster.listeners if l.port == port and l.type == "internal"), None) \
        or next((l for l in cluster.listeners if l.port == port), None)
    if listener is None:
        ports = ", ".join(f"{l.port} ({l.name})" for l in cluster.listeners)
        return [error("connect.listener", f"Kafka {cluster.name} has no listener on port {port}",
                      doc.span_of(path), path, f"a port of its listeners: {ports}")]
    findings = []
    if listener.tls != connect.tls:
        findings.append(error(
            "connect.listener-tls", f"listener {listener.name} of Kafka {cluster.name} is "
            f"{'TLS' if listener.tls else 'plaintext'}, and the Connect {'has' if connect.tls else 'has no'} spec.tls",
            doc.span_of(path), path, "spec.tls for a TLS listener, none for a plaintext one"))
    expected_auth = listener.authentication
    given = connect.authentication.type if connect.authentication else None
    if expected_auth is not None and expected_auth != given:
        findings.append(error(
            "connect.listener-authentication", f"listener {listener.name} of Kafka {cluster.name} takes "
            f"authentication {expected_auth}, and the Connect uses {given or 'none'}",
            doc.span_of(path), path, f"spec.authentication.type: {expected_auth}"))
    ca_secret = f"{cluster.name}-cluster-ca-cert"
    if listener.tls and listener.cert_secret is None and connect.trusted_certificates and \
            all(c.secret_name != ca_secret for c in connect.trusted_certificates):
        tls_path = base + ("tls", "trustedCertificates")
        findings.append(warning(
            "connect.trusted-ca", f"listener {listener.name} of Kafka {cluster.name} presents a certificate of "
            f"its cluster CA, whose Secret {ca_secret} the Connect does not trust", doc.span_of(tls_path), tls_path,
            f"secretName: {ca_secret}, certificate: ca.crt"))
    return findings
