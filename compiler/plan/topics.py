"""The topics Job: its data (the managed KafkaTopics as JSON lines, in ConfigMaps) and its pod.

Placed by templates/topics/; its scripts are files/topics-*.sh.
"""

from __future__ import annotations

import json
import math

from ..model import DEFAULT_KUBECTL_IMAGE, Cluster, Topic
from .kafka_client import KAFKA_CLIENT_DIR, KAFKA_WAIT_SECONDS, TOOL_HEAP_OPTIONS, TOOL_RUN_SECONDS
from .naming import hook_pod_labels, job_name
from .pods import CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, env_list, image

# A topics Job data file (one ConfigMap) holds at most this much; a ConfigMap holds at
# most 1 MiB, and the record of what was applied takes about as much again.
TOPICS_SHARD_BYTES = 512 * 1024
_TOPICS_DIR = "/opt/kafkac/topics"  # scripts/, spec/<shard>/, state/<shard>/
_TOPICS_WORK_DIR = "/var/run/kafkac-topics"
# Kafka tool runs the topics Job makes at once (each is a JVM).
_TOPICS_PARALLELISM = 4


def topics_values(cluster: Cluster) -> dict | None:
    """The topics Job and its data: null unless the Kafka manages topics and has some.

    The topics go to the Job as data: ConfigMaps of JSON lines (`spec`), cut to
    fit a ConfigMap; the Job records what it applied in the `state` ConfigMaps,
    which the chart creates empty and only the Job writes.
    """
    if not (cluster.manage_topics and cluster.topics):
        return None
    name = job_name(cluster, "topics")
    shards = spec_shards(cluster.topics, TOPICS_SHARD_BYTES)
    state_names = [f"{name}-state-{i}" for i in range(len(shards))]
    count = len(cluster.topics)
    work_seconds = math.ceil(count * 3 * TOOL_RUN_SECONDS / _TOPICS_PARALLELISM)
    scripts_dir = f"{_TOPICS_DIR}/scripts"
    volumes = [
        {"name": "scripts", "configMap": {"name": f"{name}-scripts"}},
        *({"name": f"spec-{i}", "configMap": {"name": f"{name}-spec-{i}"}} for i in range(len(shards))),
        # Empty until the Job's first run records what it applied.
        *({"name": f"state-{i}", "configMap": {"name": state, "optional": True}}
          for i, state in enumerate(state_names)),
        {"name": "work", "emptyDir": {"sizeLimit": "1Gi"}},
        # The client's settings hold the key store password: memory only.
        {"name": "client", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    scripts_mount = {"name": "scripts", "mountPath": scripts_dir, "readOnly": True}
    state_mounts = [{"name": f"state-{i}", "mountPath": f"{_TOPICS_DIR}/state/{i}", "readOnly": True}
                    for i in range(len(shards))]
    work_mount = {"name": "work", "mountPath": _TOPICS_WORK_DIR}
    tmp_mount = {"name": "tmp", "mountPath": "/tmp"}
    common_env = {"KAFKAC_TOPICS_DIR": _TOPICS_DIR, "KAFKAC_WORK_DIR": _TOPICS_WORK_DIR}
    return {
        "jobName": name,
        "serviceAccountName": name,
        "scriptsConfigMapName": f"{name}-scripts",
        "topicCount": count,
        "spec": [{"configMapName": f"{name}-spec-{i}", "content": text} for i, text in enumerate(shards)],
        "stateConfigMapNames": state_names,
        "podLabels": hook_pod_labels(cluster, "topics"),
        "job": {
            "kubectlImage": image(DEFAULT_KUBECTL_IMAGE),
            "activeDeadlineSeconds": KAFKA_WAIT_SECONDS + 300 + work_seconds,
            "backoffLimit": 6,
            "podSecurityContext": POD_SECURITY_CONTEXT,
            "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
            "volumes": volumes,
            "sync": {
                "command": ["/bin/sh", f"{scripts_dir}/topics-sync.sh"],
                "env": env_list({
                    **common_env,
                    "KAFKAC_TOPICS_SHARDS": str(len(shards)),
                    "KAFKAC_CLIENT_DIR": KAFKA_CLIENT_DIR,
                    "KAFKAC_PARALLELISM": str(_TOPICS_PARALLELISM),
                    "KAFKAC_WAIT_SECONDS": str(KAFKA_WAIT_SECONDS),
                    "KAFKAC_MAX_REPLICAS": str(max(topic.replicas for topic in cluster.topics)),
                    "KAFKAC_TOOL_HEAP_OPTS": TOOL_HEAP_OPTIONS,
                }),
                # Each Kafka tool run is a JVM of about 100 MiB; four run at once.
                "resources": {"requests": {"cpu": "250m", "memory": "512Mi"},
                              "limits": {"memory": "768Mi"}},
                "volumeMounts": [
                    scripts_mount,
                    *({"name": f"spec-{i}", "mountPath": f"{_TOPICS_DIR}/spec/{i}", "readOnly": True}
                      for i in range(len(shards))),
                    *state_mounts, work_mount, tmp_mount,
                    {"name": "client", "mountPath": KAFKA_CLIENT_DIR},
                ],
            },
            "record": {
                "command": ["/bin/bash", f"{scripts_dir}/topics-record.sh"],
                "env": env_list({**common_env, "KAFKAC_STATE_CONFIGMAPS": " ".join(state_names),
                                 "HOME": "/tmp"}),
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                "volumeMounts": [scripts_mount, *state_mounts, work_mount, tmp_mount],
            },
        },
    }


def spec_line(topic: Topic) -> str:
    """The topic as one line of the topics Job's data files: a JSON object of printable ASCII.

    The Job's script reads these lines as data, field by field; the same form is
    what it records as last applied.
    """
    return json.dumps({"name": topic.name, "partitions": topic.partitions, "replicas": topic.replicas,
                       "config": topic.config}, separators=(",", ":"), ensure_ascii=True)


def spec_shards(topics: tuple[Topic, ...], limit: int) -> list[str]:
    """The topics' lines, cut into texts of at most `limit` bytes (a ConfigMap holds at most 1 MiB)."""
    shards: list[str] = []
    lines: list[str] = []
    size = 0
    for topic in topics:
        line = spec_line(topic) + "\n"
        if lines and size + len(line) > limit:
            shards.append("".join(lines))
            lines, size = [], 0
        lines.append(line)
        size += len(line)
    if lines:
        shards.append("".join(lines))
    return shards
