"""Stage "check": kafkac's policy library, evaluated by OPA, on the normalized model.

Each cluster becomes one input document (described with its schema in
policies/README.md): the resources as written, so that a rule's result can
name a field and kafkac can point at its line, and the facts the model
computed (node ids, byte sizes, the merged pod template). With a base version
of the specs the matching cluster goes along, for the upgrade rules. All
clusters are evaluated in one bulk request; each result becomes a Finding with
rule id `policy.<id>`, positioned by `Document.span_of(path)`.

Waivers are an annotation on the resource a finding is about:

    metadata:
      annotations:
        kafkac.io/waivers: |
          - rule: policy.operability.spread
            reason: single-zone test cluster, see TICKET-123
            expires: "2026-06-30"

A waived finding is still reported, as waived; an expired or malformed waiver
is a finding itself. The same module checks rendered charts (`RenderedCheck`,
which verify calls) with the rules whose input is `manifests`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from . import policy
from .check_connect import connect_input
from .check_options import DEFAULT_PROFILE, PROFILES, REPORT_ONLY, CheckOptions
from .cluster_members import matching_keys, member_of, namespace_of
from .findings import FieldPath, Finding, Severity, Span, error, warning
from .document import Document
from .load import load_text
from .manifests import manifests as rendered_manifests
from .model import Cluster, Model, NodePool, Topic
from .policy import PolicyError
from .quantities import quantity_bytes

PROFILE_ANNOTATION = "kafkac.io/profile"
WAIVERS_ANNOTATION = "kafkac.io/waivers"
RULE_PREFIX = "policy."
_SEVERITIES = {"deny": Severity.ERROR, "warn": Severity.WARNING, "info": Severity.INFO}
_HEAP = re.compile(r"^([0-9]+)([mMgG]?)$")
_HEAP_UNITS = {"": 1, "m": 2 ** 20, "g": 2 ** 30}
_METADATA_VERSION = re.compile(r"^([0-9]+)\.([0-9]+)(?:-IV([0-9]+))?$")


def check(model: Model, base: Model | None = None, options: CheckOptions = CheckOptions(),
          engine: policy.Engine | None = None) -> list[Finding]:
    """Findings of the policy library on every cluster of `model` (and `base`, for upgrades)."""
    if engine is None:
        with policy.engine(options.opa_url, options.policy_dirs) as opened:
            return check(model, base, options, opened)
    findings: list[Finding] = []
    inputs = []
    profiles = []
    # Each cluster's KafkaTopics, sorted out once: looked for per cluster, they made a check of
    # a hundred clusters quadratic.
    topics = topic_documents(model.documents)
    base_topics = topic_documents(base.documents) if base is not None else {}
    for cluster in model.clusters:
        profile, problems = cluster_profile(cluster, options)
        findings += problems
        profiles.append(profile)
        base_cluster = _same_cluster(base, cluster)
        inputs.append({
            "profile": evaluated_profile(profile),
            "clusters": [cluster_input(cluster, topics=topics.get(_key(cluster), []))],
            "base": None if base_cluster is None else
            {"clusters": [cluster_input(base_cluster, topics=base_topics.get(_key(base_cluster), []))]},
        })
    connects = list(getattr(model, "connects", []))
    connect_profiles = []
    for connect in connects:
        profile, problems = cluster_profile(connect, options)
        findings += problems
        connect_profiles.append(profile)
        inputs.append({"profile": evaluated_profile(profile), "clusters": [],
                       "connects": [connect_input(connect, model.clusters)], "base": None})
    results = engine.evaluate(inputs) if inputs else []
    today = options.today or datetime.date.today()
    connect_results = results[len(model.clusters):]
    results = results[:len(model.clusters)]
    severities = _severity_table(options) if REPORT_ONLY in profiles else {}
    for cluster, profile, cluster_results in zip(model.clusters, profiles, results):
        resources = _resources(cluster, topics.get(_key(cluster), []))
        fallback = cluster.document
        cluster_findings = [_finding(result, engine, _locate(resources, fallback))
                            for result in cluster_results]
        if profile is REPORT_ONLY:
            cluster_findings = report_only(cluster_findings, cluster_results, severities)
        waivers, problems = read_waivers(list(resources.values()), today, engine.rules)
        findings += problems
        findings += apply_waivers(cluster_findings, waivers)
    if REPORT_ONLY in connect_profiles and not severities:
        severities = _severity_table(options)
    for connect, profile, results_of in zip(connects, connect_profiles, connect_results):
        resources = {(connect.document.kind, connect.document.name): connect.document}
        connect_findings = [_finding(result, engine, _locate(resources, connect.document)) for result in results_of]
        if profile is REPORT_ONLY:
            connect_findings = report_only(connect_findings, results_of, severities)
        waivers, problems = read_waivers([connect.document], today, engine.rules)
        findings += problems + apply_waivers(connect_findings, waivers)
    return sorted(findings, key=Finding.sort_key)


def cluster_profile(cluster: Cluster, options: CheckOptions = CheckOptions()
                    ) -> tuple[str | None, list[Finding]]:
    """The profile for a cluster: the one chosen on the command line, else its annotation,
    else the project file's, else `options.unchosen` (REPORT_ONLY: none is enforced)."""
    if options.profile is not None:
        return options.profile, []
    value = cluster.document.annotations.get(PROFILE_ANNOTATION)
    if value is None:
        return options.project_profile or options.unchosen, []
    if value in PROFILES:
        return value, []
    path = ("metadata", "annotations", PROFILE_ANNOTATION)
    return DEFAULT_PROFILE, [error(
        "policy.profile", f"{value!r} is not a kafkac profile, so {DEFAULT_PROFILE} applies",
        cluster.document.span_of(path), path, " or ".join(PROFILES), cluster.document.describe())]


def evaluated_profile(profile: str | None) -> str:
    """The profile the rules are evaluated in: report-only shows what the strictest finds."""
    return DEFAULT_PROFILE if profile is REPORT_ONLY else profile


def _severity_table(options: CheckOptions) -> dict:
    severities = policy.data_documents(options.policy_dirs).get("kafkac", {}).get("severity", {})
    return severities if isinstance(severities, dict) else {}


def denies_in_every_profile(result: dict, severities: dict) -> bool:
    """Whether a rule denies whatever the profile: what it finds cannot work."""
    levels = severities.get(result.get("id"))
    if not isinstance(levels, dict):
        levels = result.get("severity")
    if isinstance(levels, dict):
        return all(levels.get(profile, "deny") == "deny" for profile in PROFILES)
    return levels in (None, "deny")


def report_only(findings: list[Finding], results: list[dict], severities: dict) -> list[Finding]:
    """With no profile chosen, a deny is reported as a warning unless it denies in every profile."""
    return [replace(finding, severity=Severity.WARNING)
            if finding.severity is Severity.ERROR and not denies_in_every_profile(result, severities)
            else finding for finding, result in zip(findings, results)]


def _same_cluster(base: Model | None, cluster: Cluster) -> Cluster | None:
    if base is None:
        return None
    by_key = {(c.namespace, c.name): c for c in base.clusters}
    found = matching_keys(by_key, cluster.namespace, cluster.name)
    return by_key[found[0]] if len(found) == 1 else None


# --- the input document -------------------------------------------------------------------

def cluster_input(cluster: Cluster, documents: Sequence[Document] = (),
                  topics: Sequence[Document] | None = None) -> dict:
    """One cluster as the policies see it (schema: policies/README.md). Its KafkaTopics are
    `topics` (from topic_documents), else found among `documents`."""
    managed = {id(topic.document): topic for topic in cluster.topics}
    topics = _topics(cluster, documents) if topics is None else topics
    return {
        "name": cluster.name,
        "namespace": cluster.namespace,
        "kafka": cluster.document.data,
        "nodePools": [{"name": pool.name, "resource": pool.document.data,
                       "facts": pool_facts(cluster, pool)} for pool in cluster.pools],
        "topics": [_topic_input(doc, managed.get(id(doc))) for doc in topics],
        "facts": cluster_facts(cluster),
    }


def _topic_input(document: Document, managed: Topic | None) -> dict:
    """A KafkaTopic as written, and for a topic the chart manages (`managed`) its
    partitions and replicas with defaults applied."""
    return {
        "name": document.get("spec", "topicName") or document.name,
        "resource": document.data,
        "facts": None if managed is None else {"partitions": managed.partitions,
                                               "replicas": managed.replicas},
    }


def _topics(cluster: Cluster, documents: Sequence[Document]) -> list[Document]:
    return topic_documents(documents).get(_key(cluster), [])


def topic_documents(documents: Sequence[Document]) -> dict[tuple[str | None, str], list[Document]]:
    """The KafkaTopic documents by the Kafka (namespace, name) they belong to, in input order."""
    kafkas = [(namespace_of(d), d.name) for d in documents if d.kind == "Kafka"]
    found: dict[tuple[str | None, str], list[Document]] = {}
    for doc in documents:
        if doc.kind == "KafkaTopic":
            key = member_of(doc, kafkas, "topic")[0]
            if key is not None:
                found.setdefault(key, []).append(doc)
    return found


def _key(cluster: Cluster) -> tuple[str | None, str]:
    return cluster.namespace, cluster.name


def cluster_facts(cluster: Cluster) -> dict:
    release = _release(cluster.kafka_version)
    level = _metadata_level(cluster.metadata_version)
    brokers = sorted(i for p in cluster.brokers for i in p.node_ids)
    controllers = sorted(i for p in cluster.controllers for i in p.node_ids)
    return {
        "kafkaVersion": cluster.kafka_version,
        "kafkaRelease": release,
        "metadataVersion": cluster.metadata_version,
        "metadataRelease": _metadata_release(cluster.metadata_version) or release,
        "metadataLevel": level,
        "brokers": len(brokers),
        "controllers": len(controllers),
        "brokerNodeIds": brokers,
        "controllerNodeIds": controllers,
        # The chart's drain Job empties the brokers an upgrade removes (a KRaft cluster's).
        "drainsBrokers": not cluster.brokers_in_zookeeper,
        # kafkac.io/controller-quorum: "static" (controller.quorum.voters) or "dynamic".
        "controllerQuorum": cluster.controller_quorum,
        # Where the metadata is, as a step of the migration from ZooKeeper (strimzi.io/kraft).
        "kraftMigration": _kraft_migration(cluster),
    }


def _kraft_migration(cluster: Cluster) -> str:
    """"disabled" (ZooKeeper), "migration", "rollback", "enabled" (its last step, with
    spec.zookeeper still written) or "kraft"."""
    if cluster.kraft_migration is not None:
        return cluster.kraft_migration
    return "disabled" if cluster.zookeeper is not None else "kraft"


def _release(version: str) -> list[int]:
    return [int(part) for part in version.split(".")[:2]]


def _metadata_level(metadata_version: str | None) -> list[int] | None:
    """[major, minor, IV] of a level such as "4.1-IV1"; None for a release ("4.1") or none."""
    found = _METADATA_VERSION.match(metadata_version or "")
    return [int(found[1]), int(found[2]), int(found[3])] if found and found[3] else None


def _metadata_release(metadata_version: str | None) -> list[int] | None:
    found = _METADATA_VERSION.match(metadata_version or "")
    return [int(found[1]), int(found[2])] if found else None


def pool_facts(cluster: Cluster, pool: NodePool) -> dict:
    resources = pool.resources
    memory = (resources.get("limits") or {}).get("memory") or (resources.get("requests") or {}).get("memory")
    jbod = pool.storage_type == "jbod"
    return {
        "roles": list(pool.roles),
        "replicas": pool.replicas,
        "nodeIds": list(pool.node_ids),
        "storageType": pool.storage_type,
        "volumes": [{
            "id": volume.id,
            "type": volume.type,
            "size": volume.size,
            "sizeBytes": _bytes(volume.size),
            "class": volume.storage_class,
            "path": ["spec", "storage", "volumes", i] if jbod else ["spec", "storage"],
        } for i, volume in enumerate(pool.volumes)],
        "memory": None if memory is None else str(memory),
        "memoryBytes": _bytes(memory),
        "heap": _heap(cluster, pool),
        "pod": pool.template.pod,
    }


def _bytes(quantity) -> int | None:
    if quantity is None:
        return None
    try:
        return int(quantity_bytes(quantity))
    except ValueError:
        return None


def _heap(cluster: Cluster, pool: NodePool) -> dict | None:
    """The heap written in jvmOptions (the pool's, else the Kafka's), the larger of -Xms and -Xmx.

    None when it is left to kafkac, which sizes it to half the memory (at most
    5 GiB), well below the limit.
    """
    if pool.document.get("spec", "jvmOptions") is not None:
        document, prefix = pool.document, ("spec", "jvmOptions")
    else:
        document, prefix = cluster.document, ("spec", "kafka", "jvmOptions")
    sizes = []
    for flag in ("-Xmx", "-Xms"):
        value = document.get(*prefix, flag)
        found = _HEAP.match(str(value)) if value is not None else None
        if found:
            sizes.append((int(found[1]) * _HEAP_UNITS[found[2].lower()], flag, str(value)))
    if not sizes:
        return None
    heap_bytes, flag, value = max(sizes)
    return {"bytes": heap_bytes, "value": value, "kind": document.kind, "name": document.name,
            "path": [*prefix, flag]}


# --- results to findings ------------------------------------------------------------------

def _resources(cluster: Cluster, topics: Sequence[Document]) -> dict[tuple[str, str], Document]:
    found = {(cluster.document.kind, cluster.document.name): cluster.document}
    for pool in cluster.pools:
        found[(pool.document.kind, pool.document.name)] = pool.document
    for topic in topics:
        found[(topic.kind, topic.name)] = topic
    return found


def _locate(resources: dict[tuple[str, str], Document], fallback: Document):
    def locate(result: dict) -> Document:
        return resources.get((result.get("kind"), result.get("name")), fallback)
    return locate


def _finding(result: dict, engine: policy.Engine, locate) -> Finding:
    """One OPA result as a Finding; PolicyError when a rule gave something kafkac cannot read."""
    if "malformed" in result or not isinstance(result.get("id"), str) \
            or not isinstance(result.get("msg"), str):
        raise PolicyError(f"a rule of {result.get('package', 'an unknown package')} gave a result "
                          f"without a string id and msg: {result.get('malformed', result)!r}")
    severity = _SEVERITIES.get(result.get("severity"))
    if severity is None:
        raise PolicyError(f"rule {result['id']} has severity {result.get('severity')!r}; "
                          "expected deny, warn or info")
    path = _path(result.get("path"))
    document = locate(result)
    rule = engine.rules.get(result["id"])
    return Finding(RULE_PREFIX + result["id"], severity, result["msg"], document.span_of(path), path,
                   resource=f"{result.get('kind') or document.kind}/{result.get('name') or document.name}",
                   extra={"rule": rule} if rule else {})


def _path(raw) -> FieldPath:
    if not isinstance(raw, list):
        return ()
    return tuple(p if isinstance(p, (str, int)) and not isinstance(p, bool) else str(p) for p in raw)


# --- waivers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Waiver:
    """An accepted finding: which rule, on which resource, why, and until when."""

    rule: str
    resource: str
    reason: str
    expires: datetime.date

    def describe(self) -> str:
        return f"waived until {self.expires.isoformat()}: {self.reason}"


_WAIVER_KEYS = {"rule", "reason", "expires"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def read_waivers(documents: Sequence[Document], today: datetime.date,
                 known: dict[str, policy.Rule] | None) -> tuple[list[Waiver], list[Finding]]:
    """The waivers in force on `documents`; findings for expired, malformed and (when the
    `known` rules are given) unknown ones."""
    waivers: list[Waiver] = []
    findings: list[Finding] = []
    for document in documents:
        text = document.annotations.get(WAIVERS_ANNOTATION)
        if text is None:
            continue
        path = ("metadata", "annotations", WAIVERS_ANNOTATION)
        span = document.span_of(path)

        def malformed(message: str) -> None:
            findings.append(error("policy.waiver-malformed", message, span, path,
                                  "a YAML list of {rule: policy.<id>, reason: <why>, expires: "
                                  "YYYY-MM-DD}", document.describe()))

        parsed, problems = load_text(str(text), f"{document.file} {WAIVERS_ANNOTATION}")
        if problems or len(parsed) != 1 or not isinstance(parsed[0].data, list):
            malformed(f"{WAIVERS_ANNOTATION} of {document.describe()} is not a YAML list of waivers")
            continue
        for index, entry in enumerate(parsed[0].data):
            waiver, problem = _waiver(entry, document.describe())
            where = f"waiver {index + 1} in {WAIVERS_ANNOTATION} of {document.describe()}"
            if problem:
                malformed(f"{where}: {problem}")
                continue
            if known is not None and waiver.rule.removeprefix(RULE_PREFIX) not in known:
                findings.append(warning(
                    "policy.waiver-unknown-rule", f"{where} names {waiver.rule}, which is not a rule "
                    "of the loaded policies, so it waives nothing", span, path,
                    "the rule id a finding shows, e.g. policy.operability.spread", document.describe()))
            if waiver.expires < today:
                findings.append(error(
                    "policy.waiver-expired", f"{where} for {waiver.rule} expired on "
                    f"{waiver.expires.isoformat()} ({waiver.reason}); fix the finding or renew the "
                    "waiver with a new date", span, path, "an expiry date from today on",
                    document.describe()))
                continue
            waivers.append(waiver)
    return waivers, findings


def _waiver(entry, resource: str) -> tuple[Waiver | None, str]:
    if not isinstance(entry, dict):
        return None, "not a mapping with rule, reason and expires"
    missing = sorted(_WAIVER_KEYS - set(entry))
    unknown = sorted(set(entry) - _WAIVER_KEYS)
    if missing or unknown:
        said = [f"missing {', '.join(missing)}"] if missing else []
        said += [f"unknown {', '.join(unknown)}"] if unknown else []
        return None, "; ".join(said)
    rule, reason, expires = entry["rule"], entry["reason"], entry["expires"]
    if not isinstance(rule, str) or not rule.strip():
        return None, "rule must be a rule id such as policy.operability.spread"
    if not isinstance(reason, str) or not reason.strip():
        return None, "reason must say why the finding is accepted"
    if not isinstance(expires, str) or not _DATE.match(expires):
        return None, f"expires must be a date written YYYY-MM-DD, not {expires!r}"
    try:
        date = datetime.date.fromisoformat(expires)
    except ValueError:
        return None, f"expires {expires!r} is not a date"
    rule = rule.strip()
    return Waiver(rule if rule.startswith(RULE_PREFIX) else RULE_PREFIX + rule, resource,
                  " ".join(reason.split()), date), ""


def apply_waivers(findings: list[Finding], waivers: Sequence[Waiver],
                  any_resource: bool = False) -> list[Finding]:
    """Mark each finding a waiver covers as waived (same rule; same resource unless `any_resource`)."""
    marked = []
    for finding in findings:
        waiver = next((w for w in waivers if w.rule == finding.rule
                       and (any_resource or w.resource == finding.resource)), None)
        marked.append(replace(finding, waived=waiver.describe()) if waiver else finding)
    return marked


# --- rendered charts ----------------------------------------------------------------------

class RenderedCheck:
    """The rules on rendered manifests, for verify: `check(rendered_chart_dir, shown_dir)`."""

    def __init__(self, engine: policy.Engine, profile: str | None = DEFAULT_PROFILE,
                 waivers: Sequence[Waiver] = (), policy_dirs: Sequence[str] = ()):
        self.engine = engine
        self.profile = profile
        self.waivers = tuple(waivers)
        self.policy_dirs = tuple(policy_dirs)

    def __call__(self, rendered: Path, shown: Path) -> list[Finding]:
        """Findings on the manifests under `rendered` (helm's --output-dir for one chart).

        A finding names the chart's template file (`shown/templates/...`), the
        object and the field; not a line, since the template's lines are not
        the rendered manifest's.
        """
        files: dict[tuple[str, str], Document] = {}
        manifests = []
        for file in sorted(Path(rendered).rglob("*.yaml")):
            relative = file.relative_to(rendered).as_posix()
            template = Document((Path(shown) / relative).as_posix(), 0, {})
            for manifest in rendered_manifests(file.read_text(encoding="utf-8")):
                if isinstance(manifest, dict):
                    manifests.append({"file": relative, "object": manifest})
                    document = Document(relative, 0, manifest)
                    files[(document.kind, document.name)] = template
        if not manifests:
            return []
        [results] = self.engine.evaluate([{"profile": evaluated_profile(self.profile),
                                           "manifests": manifests}])
        fallback = Document((Path(shown) / "templates").as_posix(), 0, {})
        findings = [_finding(result, self.engine, lambda r: files.get(
            (r.get("kind"), r.get("name")), fallback)) for result in results]
        if self.profile is REPORT_ONLY:
            findings = report_only(findings, results, _severity_table(
                CheckOptions(policy_dirs=self.policy_dirs)))
        findings = [replace(f, span=Span(f.span.file)) for f in findings]
        return apply_waivers(findings, self.waivers, any_resource=True)


def cluster_waivers(cluster: Cluster, today: datetime.date | None = None) -> list[Waiver]:
    """The waivers in force on a cluster's Kafka resource (problems with them are reported by check)."""
    waivers, _ = read_waivers([cluster.document], today or datetime.date.today(), known=None)
    return waivers
