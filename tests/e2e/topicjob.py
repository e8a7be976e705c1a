"""Run a chart's topics Job for real, against the pods of a running podrunner.LocalCluster.

The Job comes from the chart rendered by the real `helm template`. Its
containers run in order, as with restartPolicy: Never (the init container
sync, then the container record; a failed step ends the run), each the way
podrunner runs a pod's container: in a sandbox with the rendered command,
environment, volumes, user and security context, its own loopback address and
the cluster's names in /etc/hosts, so the sync step's Kafka tools reach the
brokers by their DNS names on the replication listener, with the chart's TLS
client settings and the Secrets the certificates Job made. The steps of one
run share the pod's emptyDirs, as containers of a pod do.

What stands in for the Kubernetes cluster:

* Images: the sync step finds Kafka at /opt/kafka as in the Kafka image (with
  the stand-ins for bin/kafka-topics.sh and bin/kafka-configs.sh of
  kafka-dist/bin); the record step finds bash, jq and coreutils as the kubectl
  image has them, and `kubectl-configmap-stand-in/kubectl` first on PATH: no
  Kubernetes API server runs here, so that stand-in keeps ConfigMaps as JSON
  files and applies the Job's Role (see its docstring).
* `ApiServer` is the folder the stand-in keeps: the namespace's ConfigMaps.
  `apply(manifests)` does to it what `helm install` or `helm upgrade` does to a
  chart's ConfigMaps (creates them, sets the keys the chart renders, leaves the
  keys only the Job writes), and before each run the pod's ConfigMap volumes
  are filled from it, as the kubelet projects a ConfigMap's current data.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path


from .. import util
from ..log_format import messages
from . import podrunner

HERE = Path(__file__).resolve().parent
STAND_IN = HERE / "kubectl-configmap-stand-in" / "kubectl"
STAND_IN_CONFIG_MAP = "kafkac-e2e-kubectl-stand-in"  # how the stand-in gets into the record step
STAND_IN_DIR = "/kafkac-e2e-kubectl"
STORE_VOLUME = "kafkac-e2e-api-server"
STORE_DIR = "/kafkac-e2e-api-server"
STEP_TIMEOUT = 900.0
JOB_POD_ADDRESS = 250  # last octet of the Job pod's loopback address


class JobRun(util.JobRun):
    """The topics Job's run, with the sync step's report."""

    @property
    def report_lines(self) -> list[str]:
        """The sync step's report for a person: its `kafkac-topics: ...` events, without time and level."""
        return [f"kafkac-topics: {message}" for message in messages(self.output("sync"), "kafkac-topics")
                if not message.startswith('{"report":')]

    @property
    def report(self) -> dict:
        """The sync step's report for a machine: the message of its last event that is JSON."""
        lines = [m for m in messages(self.output("sync"), "kafkac-topics") if m.startswith('{"report":')]
        assert lines, f"the sync step printed no JSON report:\n{self.log}"
        return json.loads(lines[-1])


class ApiServer:
    """The ConfigMaps of a namespace, in the folder the kubectl stand-in keeps them in."""

    def __init__(self, folder: Path, namespace: str, fs_group: int):
        self.folder = folder
        self.namespace = namespace
        self.fs_group = fs_group
        (folder / namespace / "configmaps").mkdir(parents=True, exist_ok=True)
        for path in (folder, folder / namespace, folder / namespace / "configmaps"):
            os.chown(path, 0, fs_group)
            os.chmod(path, 0o2775)

    def _path(self, name: str) -> Path:
        return self.folder / self.namespace / "configmaps" / f"{name}.json"

    def config_map(self, name: str) -> dict | None:
        path = self._path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def config_maps(self) -> dict[str, dict]:
        return {p.stem: json.loads(p.read_text())
                for p in sorted((self.folder / self.namespace / "configmaps").glob("*.json"))}

    def apply(self, manifests: list[dict]) -> None:
        """What Helm does to the chart's ConfigMaps on install or upgrade (its three-way merge).

        Keys the chart renders are set; keys only someone else wrote (the Job's record)
        stay, as Helm leaves fields that neither the old nor the new chart has.
        """
        for manifest in manifests:
            if manifest.get("kind") != "ConfigMap":
                continue
            name = manifest["metadata"]["name"]
            current = self.config_map(name)
            if current is None:
                current = {"apiVersion": "v1", "kind": "ConfigMap", "data": {}}
            current["metadata"] = {**copy.deepcopy(manifest["metadata"]),
                                   "resourceVersion": (current.get("metadata") or {}).get("resourceVersion", "0")}
            data = dict(current.get("data") or {})
            data.update(manifest.get("data") or {})
            current["data"] = data
            path = self._path(name)
            path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
            os.chown(path, 0, self.fs_group)
            os.chmod(path, 0o664)

    def writes(self) -> list[str]:
        """What the Job wrote through the API, one line a write."""
        log = self.folder / "writes.log"
        return log.read_text().splitlines() if log.exists() else []


def topics_job(manifests: list[dict], suffix: str = "-kafka-topics") -> dict:
    """The rendered topics Job (or the Job named `<cluster><suffix>`, such as the users Job)."""
    (job,) = [m for m in manifests if m.get("kind") == "Job" and m["metadata"]["name"].endswith(suffix)]
    return job


def api_server(cluster: podrunner.LocalCluster, manifests: list[dict], job_suffix: str = "-kafka-topics"
               ) -> ApiServer:
    """The API server's ConfigMaps for `cluster`, kept where the Job pod's record step reaches them."""
    pod_spec = topics_job(manifests, job_suffix)["spec"]["template"]["spec"]
    fs_group = (pod_spec.get("securityContext") or {}).get("fsGroup", 0)
    return ApiServer(_claims_dir(cluster) / f"{STORE_VOLUME}-{_pod_name(manifests, job_suffix)}",
                     cluster.namespace, fs_group)


def _pod_name(manifests: list[dict], job_suffix: str = "-kafka-topics") -> str:
    return f"{topics_job(manifests, job_suffix)['metadata']['name']}-e2e"


def _claims_dir(cluster: podrunner.LocalCluster) -> Path:
    # podrunner keeps what outlives a pod (its claims) in <work>/claims.
    return cluster.work_dir / "claims"


def _role_rules(manifests: list[dict], service_account: str) -> list[dict]:
    """The rules for configmaps of the Role bound to the Job's ServiceAccount."""
    roles = {m["metadata"]["name"]: m for m in manifests if m.get("kind") == "Role"}
    rules = []
    for binding in (m for m in manifests if m.get("kind") == "RoleBinding"):
        if any(s.get("kind") == "ServiceAccount" and s.get("name") == service_account
               for s in binding.get("subjects") or []):
            role = roles[binding["roleRef"]["name"]]
            rules += [r for r in role.get("rules") or []
                      if "" in r.get("apiGroups", []) and "configmaps" in r.get("resources", [])]
    return rules


def run_topics_job(cluster: podrunner.LocalCluster, manifests: list[dict], api: ApiServer,
                   timeout: float = STEP_TIMEOUT, *, job_suffix: str = "-kafka-topics",
                   steps: tuple[str, ...] | None = None, empty_dir_seeds: dict[str, Path] | None = None
                   ) -> JobRun:
    """Run the topics Job of `manifests` once, against `cluster`'s pods and `api`'s ConfigMaps.

    `job_suffix` picks another Job that talks to Kafka (the users Job), `steps` runs
    only the steps so named, and `empty_dir_seeds` fills emptyDirs (name -> folder to
    copy) with what earlier steps of the same pod, run elsewhere, left in them.
    """
    job = topics_job(manifests, job_suffix)
    pod_spec = job["spec"]["template"]["spec"]
    pod_name = _pod_name(manifests, job_suffix)
    kafka_image = next(m["spec"]["template"]["spec"]["containers"][0]["image"]
                       for m in manifests if m.get("kind") == "StatefulSet")
    any_pod = next(iter(cluster.pods.values()))
    address = f"{any_pod.address.rsplit('.', 1)[0]}.{JOB_POD_ADDRESS}"
    empty_dirs = [v["name"] for v in pod_spec["volumes"] if "emptyDir" in v]
    # A new pod: fresh emptyDirs (podrunner keeps them as claims so the steps share them).
    for name in empty_dirs:
        shutil.rmtree(_claims_dir(cluster) / f"{name}-{pod_name}", ignore_errors=True)
    for name, source in (empty_dir_seeds or {}).items():
        # cp -a keeps the owners and modes the earlier steps' user gave the files.
        subprocess.run(["cp", "-a", str(source), str(_claims_dir(cluster) / f"{name}-{pod_name}")], check=True)
    # The ConfigMaps as the API server has them now, the kubectl stand-in among them.
    cluster.config_maps.update(api.config_maps())
    cluster.config_maps[STAND_IN_CONFIG_MAP] = {"data": {"kubectl": STAND_IN.read_text()}}
    rules = json.dumps(_role_rules(manifests, pod_spec["serviceAccountName"]))

    def run_container(container: dict) -> subprocess.CompletedProcess:
        kubectl = container["image"] != kafka_image
        pod = _container_pod(cluster, pod_spec, container, pod_name, address, empty_dirs, kubectl)
        env = {}
        if kubectl:
            env = {"PATH": f"{STAND_IN_DIR}:/usr/local/bin:/usr/bin:/bin",
                   "KAFKAC_TEST_KUBECTL_STORE": STORE_DIR, "KAFKAC_TEST_KUBECTL_RULES": rules}
        command = list(container.get("command") or []) + list(container.get("args") or [])
        cluster.create_pod(pod)
        try:
            return cluster.exec(pod, command, timeout=timeout, env=env)
        finally:
            cluster.delete_pod(pod, grace=0)

    try:
        return util.run_steps(pod_spec, run_container, steps, JobRun())
    finally:
        for name in empty_dirs:
            shutil.rmtree(_claims_dir(cluster) / f"{name}-{pod_name}", ignore_errors=True)


def _container_pod(cluster: podrunner.LocalCluster, pod_spec: dict, container: dict, pod_name: str,
                   address: str, empty_dirs: list[str], kubectl: bool) -> podrunner.Pod:
    """One container of the Job's pod as a podrunner Pod: the pod's volumes, this container alone."""
    container = copy.deepcopy(container)
    spec = copy.deepcopy(pod_spec)
    spec.pop("initContainers", None)
    spec["containers"] = [container]
    claims = list(empty_dirs)
    if kubectl:
        spec["volumes"].append({"name": "kafkac-e2e-kubectl",
                                "configMap": {"name": STAND_IN_CONFIG_MAP, "defaultMode": 0o755}})
        container["volumeMounts"] = list(container.get("volumeMounts") or []) + [
            {"name": "kafkac-e2e-kubectl", "mountPath": STAND_IN_DIR, "readOnly": True},
            {"name": STORE_VOLUME, "mountPath": STORE_DIR}]
        claims.append(STORE_VOLUME)
    return podrunner.Pod(name=pod_name, statefulset="", ordinal=0, address=address, spec=spec,
                         labels={}, claim_names=claims,
                         dir=cluster.work_dir / "pods" / f"{pod_name}.{container['name']}")
