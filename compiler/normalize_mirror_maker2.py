"""KafkaMirrorMaker2s, as the Connect model: workers connected to the target cluster, and the
MirrorMaker 2 connectors of every mirror, named and configured as Strimzi's operator does.

Both of Strimzi's shapes are read: 1.x's `target` with `mirrors[].source`, and the older
v1beta2 `connectCluster` with `clusters[]` and `mirrors[].sourceCluster`/`targetCluster`.
Every cluster's password, key and trusted certificates stay in their Secrets; the chart mounts
them and the connectors read them through the workers' DirectoryConfigProvider.
"""

from __future__ import annotations

from dataclasses import replace

from .cluster_members import namespace_of
from .findings import FieldPath, Finding, dotted, defined_twice, error
from .document import Document, Documents
from .model import DEFAULT_IMAGE_REPOSITORY, Cluster
from .model_connect import ClusterConnection, Connect, Connector, TrustedCertificate
from .normalize_connect import (FORBIDDEN_CONNECT_PREFIXES, check_against_cluster,
                                client_authentication, container_templates, is_forbidden_connect_option,
                                kubernetes_config_providers, target_cluster, unpaired_tls, worker_config,
                                with_cluster, workers, workers_version)
from .properties import config_text

KIND = "KafkaMirrorMaker2"
# Strimzi's defaults of MirrorMaker 2's workers (KafkaMirrorMaker2Configuration.DEFAULTS): records
# are copied as bytes.
MIRROR_MAKER2_DEFAULTS = {
    "group.id": "mirrormaker2-cluster",
    "offset.storage.topic": "mirrormaker2-cluster-offsets",
    "config.storage.topic": "mirrormaker2-cluster-configs",
    "status.storage.topic": "mirrormaker2-cluster-status",
    "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
}
CONNECTOR_PACKAGE = "org.apache.kafka.connect.mirror"
# A mirror's field -> the connector class it runs, in the order Strimzi lists them.
CONNECTOR_CLASSES = (("sourceConnector", "MirrorSourceConnector"),
                     ("checkpointConnector", "MirrorCheckpointConnector"),
                     ("heartbeatConnector", "MirrorHeartbeatConnector"))
SOURCE_PREFIX, TARGET_PREFIX = "source.cluster.", "target.cluster."
# A mirror's fields -> the connector options they give.
PATTERN_OPTIONS = (("topicsPattern", "topics"), ("topicsExcludePattern", "topics.exclude"),
                   ("groupsPattern", "groups"), ("groupsExcludePattern", "groups.exclude"))
_OLD_SHAPE = ("connectCluster", "clusters")


def connector_name(source_alias: str, target_alias: str, class_name: str) -> str:
    """Strimzi's name of a mirror's connector: `<source>-><target>.<class>`."""
    return f"{source_alias}->{target_alias}.{class_name}"


def mirror_makers(documents: Documents, clusters: list[Cluster]) -> tuple[list[Connect], list[Finding]]:
    findings: list[Finding] = []
    by_key: dict[tuple[str | None, str], Document] = {}
    charts = {cluster.name for cluster in clusters}
    for doc in documents.documents:
        if doc.kind != KIND:
            continue
        key = (namespace_of(doc), doc.name)
        path = ("metadata", "name")
        if key in by_key:
            findings.append(defined_twice("mirrormaker2.duplicate", doc, by_key[key]))
            continue
        if f"{doc.name}-mirrormaker2" in charts:
            findings.append(error(
                "mirrormaker2.chart-name", f"KafkaMirrorMaker2 {doc.name} compiles to the chart "
                f"{doc.name}-mirrormaker2, and a Kafka of that name compiles to a chart of the same name",
                doc.span_of(path), path, f"a KafkaMirrorMaker2 name other than {doc.name}, or another name for the Kafka"))
            continue
        by_key[key] = doc
    config_maps = {(namespace_of(d), d.name): d for d in documents.documents if d.kind == "ConfigMap"}
    result = []
    for doc in by_key.values():
        connect = _mirror_maker(doc, config_maps, clusters, findings)
        if connect is not None:
            result.append(connect)
    return result, findings


def _mirror_maker(doc: Document, config_maps: dict, clusters: list[Cluster], findings: list[Finding]
                  ) -> Connect | None:
    spec = doc.get("spec", default={})
    version = workers_version(doc, findings)
    if version is None:
        return None
    before = len(findings)
    shape = _shape(doc, spec, findings)
    if shape is None:
        return None
    (target_raw, target_base), sources, mirrors = shape
    # The target's options are the workers' too: worker_config checks them.
    target = _cluster(doc, target_raw, target_base, findings, check_options=False)
    remote = [_cluster(doc, raw, base, findings) for raw, base in sources]
    connect = Connect(
        **workers(doc, config_maps, findings), kafka_version=version,
        image=spec.get("image") or f"{DEFAULT_IMAGE_REPOSITORY}:{version}",
        bootstrap_servers=target.bootstrap_servers,
        config=worker_config(doc, target_raw, findings, target_base, MIRROR_MAKER2_DEFAULTS),
        tls=target.tls, trusted_certificates=target.trusted_certificates,
        authentication=target.authentication,
        use_connector_resources=True,
        connectors=tuple(c for i, mirror, source in mirrors for c in _connectors(doc, mirror, source, target.alias)),
        kind=KIND, clusters=(target, *remote), target_alias=target.alias,
    )
    findings.extend(container_templates(doc, spec))
    findings.extend(kubernetes_config_providers(connect, target_raw, target_base, image_given="image" in spec))
    findings.extend(_against_clusters(connect, target_base, sources, clusters))
    kafka = target_cluster(connect, clusters)
    if kafka is not None:
        connect = with_cluster(connect, kafka.name)
    if any(f.is_error for f in findings[before:]):
        return None
    return connect


def _shape(doc: Document, spec: dict, findings: list[Finding]):
    """The target (its fields and where they are), the source clusters, and each mirror with
    its source alias; None, with findings, when the clusters are not named consistently."""
    if "target" in spec:
        return _new_shape(doc, spec, findings)
    if "connectCluster" in spec or "clusters" in spec:
        return _old_shape(doc, spec, findings)
    findings.append(error(
        "mirrormaker2.target", "spec names no target cluster", doc.span_of(("spec",)), ("spec", "target"),
        "spec.target (alias, bootstrapServers, groupId, the storage topics), or the older spec.connectCluster "
        "with spec.clusters"))
    return None


def _new_shape(doc: Document, spec: dict, findings: list[Finding]):
    before = len(findings)
    for field_name in _OLD_SHAPE:
        if field_name in spec:
            path = ("spec", field_name)
            findings.append(error(
                "mirrormaker2.shape", f"spec.{field_name} belongs to the older shape, and spec.target to the new one",
                doc.span_of(path, key=True), path, "spec.target with mirrors[].source, or spec.connectCluster with "
                "spec.clusters and mirrors[].sourceCluster, not both"))
    target = spec["target"]
    sources, mirrors, seen = [], [], {target["alias"]: ("spec", "target", "alias")}
    for i, mirror in enumerate(spec["mirrors"]):
        base = ("spec", "mirrors", i)
        stray = [f for f in ("sourceCluster", "targetCluster") if f in mirror]
        for field_name in stray:
            findings.append(error(
                "mirrormaker2.shape", f"{dotted(base)}.{field_name} belongs to the older shape (spec.clusters); "
                "with spec.target a mirror gives its source cluster itself", doc.span_of(base + (field_name,), key=True),
                base + (field_name,), f"{dotted(base)}.source (alias, bootstrapServers, tls, authentication, config)"))
        if "source" not in mirror:
            findings.append(error(
                "mirrormaker2.source", f"{dotted(base)} has no source cluster", doc.span_of(base), base + ("source",),
                "source: alias, bootstrapServers (and tls, authentication, config)"))
            continue
        alias = mirror["source"]["alias"]
        path = base + ("source", "alias")
        if alias in seen:
            findings.append(error(
                "mirrormaker2.alias", f"alias {alias!r} is also the alias at {dotted(seen[alias])}: each mirror copies "
                "a cluster of its own into the target, and connectors are named by alias", doc.span_of(path), path,
                "an alias used once among the target and the sources"))
            continue
        seen[alias] = path
        sources.append((mirror["source"], base + ("source",)))
        mirrors.append((i, mirror, alias))
    if len(findings) > before:
        return None
    return (target, ("spec", "target")), sources, mirrors


def _old_shape(doc: Document, spec: dict, findings: list[Finding]):
    before = len(findings)
    for field_name in _OLD_SHAPE:
        if field_name not in spec:
            findings.append(error(
                "mirrormaker2.shape", f"spec.{'connectCluster' if field_name == 'clusters' else 'clusters'} is given "
                f"without spec.{field_name}", doc.span_of(("spec",)), ("spec", field_name),
                "spec.connectCluster (the target's alias) with spec.clusters, or spec.target"))
    if len(findings) > before:
        return None
    by_alias: dict[str, int] = {}
    for i, raw in enumerate(spec["clusters"]):
        path = ("spec", "clusters", i, "alias")
        if raw["alias"] in by_alias:
            findings.append(error(
                "mirrormaker2.alias", f"alias {raw['alias']!r} is also the alias of spec.clusters[{by_alias[raw['alias']]}]",
                doc.span_of(path), path, "an alias used once in spec.clusters"))
            continue
        by_alias[raw["alias"]] = i
    target_alias = spec["connectCluster"]
    aliases = ", ".join(by_alias)
    if target_alias not in by_alias:
        path = ("spec", "connectCluster")
        findings.append(error(
            "mirrormaker2.alias", f"connectCluster {target_alias!r} is not the alias of a cluster of spec.clusters",
            doc.span_of(path), path, f"one of {aliases}"))
        return None
    sources, mirrors, used = [], [], set()
    for i, mirror in enumerate(spec["mirrors"]):
        base = ("spec", "mirrors", i)
        if "source" in mirror:
            findings.append(error(
                "mirrormaker2.shape", f"{dotted(base)}.source belongs to the shape with spec.target, not to "
                "spec.clusters", doc.span_of(base + ("source",), key=True), base + ("source",),
                f"{dotted(base)}.sourceCluster naming an alias of spec.clusters"))
            continue
        for field_name in ("sourceCluster", "targetCluster"):
            if field_name not in mirror:
                findings.append(error(
                    "mirrormaker2.alias", f"{dotted(base)} has no {field_name}", doc.span_of(base), base + (field_name,),
                    f"an alias of spec.clusters ({aliases})"))
        if "sourceCluster" not in mirror or "targetCluster" not in mirror:
            continue
        source, target = mirror["sourceCluster"], mirror["targetCluster"]
        if target != target_alias:
            path = base + ("targetCluster",)
            findings.append(error(
                "mirrormaker2.target", f"targetCluster {target!r} is not the connectCluster {target_alias!r}: the "
                "connectors run on the workers of the connectCluster and write into it", doc.span_of(path), path,
                f"targetCluster: {target_alias} (mirror into another cluster with a KafkaMirrorMaker2 of its own)"))
            continue
        path = base + ("sourceCluster",)
        if source not in by_alias or source == target_alias:
            findings.append(error(
                "mirrormaker2.alias", f"sourceCluster {source!r} is " + ("the target itself" if source == target_alias
                                                                         else "not an alias of spec.clusters"),
                doc.span_of(path), path, f"an alias of spec.clusters other than {target_alias} ({aliases})"))
            continue
        if source in used:
            findings.append(error(
                "mirrormaker2.alias", f"sourceCluster {source!r} is mirrored by an earlier mirror too, and both "
                "would run the same connectors", doc.span_of(path), path, "one mirror per source cluster"))
            continue
        used.add(source)
        sources.append((spec["clusters"][by_alias[source]], ("spec", "clusters", by_alias[source])))
        mirrors.append((i, mirror, source))
    if len(findings) > before:
        return None
    return (spec["clusters"][by_alias[target_alias]], ("spec", "clusters", by_alias[target_alias])), sources, mirrors


def _cluster(doc: Document, raw: dict, base: FieldPath, findings: list[Finding], check_options: bool = True
             ) -> ClusterConnection:
    findings.extend(unpaired_tls(doc, raw, base))
    config = {}
    for key, value in (raw.get("config") or {}).items():
        if is_forbidden_connect_option(key):
            if not check_options:
                continue
            path = base + ("config", key)
            findings.append(error(
                "mirrormaker2.config-forbidden", f"{dotted(base)}.config: {key!r} is set by kafkac from other "
                "fields and cannot be given here", doc.span_of(path, key=True), path,
                f"{dotted(base)}.tls and .authentication for the connection, or an option outside the reserved "
                f"prefixes ({', '.join(FORBIDDEN_CONNECT_PREFIXES)})"))
            continue
        config[key] = config_text(value)
    return ClusterConnection(
        alias=raw["alias"], bootstrap_servers=raw["bootstrapServers"], tls="tls" in raw,
        trusted_certificates=tuple(TrustedCertificate(c["secretName"], c.get("certificate"), c.get("pattern"))
                                   for c in (raw.get("tls") or {}).get("trustedCertificates") or ()),
        authentication=client_authentication(doc, raw, findings, base), config=config)


def _connectors(doc: Document, mirror: dict, source: str, target: str) -> list[Connector]:
    """A mirror's connectors, as Strimzi builds them: the connector's options, then the mirror's
    topic and group patterns; the connections to both clusters are the plan's."""
    patterns = {option: mirror[field_name] for field_name, option in PATTERN_OPTIONS if field_name in mirror}
    connectors = []
    for field_name, class_name in CONNECTOR_CLASSES:
        raw = mirror.get(field_name)
        if raw is None:
            continue
        config = {key: config_text(value) for key, value in (raw.get("config") or {}).items()}
        restart = raw.get("autoRestart") or {}
        connectors.append(Connector(
            connector_name(source, target, class_name), f"{CONNECTOR_PACKAGE}.{class_name}", raw.get("tasksMax"),
            {**config, **patterns}, raw.get("state", "running"), bool(restart) and restart.get("enabled", True),
            restart.get("maxRestarts"), doc, clusters=((SOURCE_PREFIX, source), (TARGET_PREFIX, target))))
    return connectors


def _against_clusters(connect: Connect, target_base: FieldPath, sources: list, clusters: list[Cluster]
                      ) -> list[Finding]:
    """Each cluster that is a Kafka of the same input: its listener on the port named takes the
    TLS and authentication given."""
    findings = []
    for cluster, (_, base) in zip(connect.clusters, [(None, target_base), *sources]):
        as_connect = replace(connect, bootstrap_servers=cluster.bootstrap_servers, tls=cluster.tls,
                             trusted_certificates=cluster.trusted_certificates, authentication=cluster.authentication)
        kafka = target_cluster(as_connect, clusters)
        if kafka is not None:
            findings.extend(check_against_cluster(as_connect, kafka, base))
    return findings
