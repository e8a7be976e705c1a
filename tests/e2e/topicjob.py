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

What stands in for the Kubernetes cluster, and what does not:

* Images: the sync step finds Kafka at /opt/kafka as in the Kafka image (with
  the stand-ins for bin/kafka-topics.sh and bin/kafka-configs.sh of
  kafka-dist/bin); the record step finds bash, jq and coreutils as the kubectl
  image has them, and the pinned kubectl first on PATH (podrunner's kubectl
  image layout).
* The API server is real: the booted cluster's namespace in the tests' control
  plane (`cluster.api`, tests/kube/api_namespace.py). `api_server()` creates the
  Job's ServiceAccount, Role and RoleBinding there as rendered, and its
  `apply(manifests)` does to the chart's ConfigMaps what `helm install` or
  `helm upgrade` does (server-side apply, see ReleaseApi.apply). Before each
  run the pod's ConfigMap volumes are filled from the API's current data, as
  the kubelet projects a ConfigMap, and the record step's kubectl reaches the
  API server (127.0.0.1, its Go resolver and sockets untouched by the loopback
  shim) with a token of the Job's ServiceAccount, in a kubeconfig the step gets
  as a volume and KUBECONFIG: what the Job may write is what the chart's Role
  allows, and what it wrote is in the API server's audit log.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import yaml

from .. import util
from ..kube.api_namespace import ApiNamespace, kubectl_folder
from ..log_format import messages
from . import podrunner

KUBECONFIG_CONFIG_MAP = "kafkac-e2e-kubeconfig"  # how the kubeconfig gets into a kubectl step
KUBECONFIG_VOLUME = "kafkac-e2e-kubeconfig"
KUBECONFIG_DIR = "/kafkac-e2e-kube"
HELM_FIELD_MANAGER = "helm"
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


class ReleaseApi:
    """The booted cluster's namespace in the tests' API server, as one release of the chart uses it."""

    def __init__(self, namespace: ApiNamespace, service_account: str):
        self.namespace = namespace
        self.service_account = service_account  # the Job's

    def apply(self, manifests: list[dict]) -> None:
        """What `helm install` or `helm upgrade` does to the chart's ConfigMaps (its three-way merge).

        Server-side apply with Helm as the field manager: the keys the chart renders
        are set (the chart's value wins over anyone's, --force-conflicts), keys the
        previous chart rendered and this one does not are removed, and keys only
        someone else wrote (the Job's record, written with `kubectl patch`) stay, as
        Helm leaves fields that neither the old nor the new chart has.
        """
        config_maps = [m for m in manifests if m.get("kind") == "ConfigMap"]
        if config_maps:
            self.namespace.plane.kubectl(
                "apply", "--server-side", "--field-manager", HELM_FIELD_MANAGER, "--force-conflicts",
                "--namespace", self.namespace.name, "--filename", "-", input=yaml.safe_dump_all(config_maps))

    def config_map(self, name: str) -> dict | None:
        """The ConfigMap as the API server has it now, or None."""
        return self.namespace.get("configmap", name)

    def config_maps(self) -> dict[str, dict[str, str]]:
        return self.namespace.config_maps()

    def writes(self) -> list[str]:
        """What the Jobs' ServiceAccounts wrote in the namespace so far, from the audit log."""
        return self.namespace.writes()

    def versions(self) -> dict[str, tuple[str, str]]:
        return self.namespace.versions()


def topics_job(manifests: list[dict], suffix: str = "-kafka-topics") -> dict:
    """The rendered topics Job (or the Job named `<cluster><suffix>`, such as the users Job)."""
    (job,) = [m for m in manifests if m.get("kind") == "Job" and m["metadata"]["name"].endswith(suffix)]
    return job


def api_server(cluster: podrunner.LocalCluster, manifests: list[dict], job_suffix: str = "-kafka-topics"
               ) -> ReleaseApi:
    """The booted `cluster`'s namespace in the tests' API server, with the Job's ServiceAccount, Role
    and RoleBinding as rendered (the objects Helm creates before the Job)."""
    if cluster.api is None:
        raise podrunner.PodError("the Job's steps need the cluster's namespace in the API server: boot() it")
    account = cluster.api.apply_job_rbac(manifests, topics_job(manifests, job_suffix))
    return ReleaseApi(cluster.api, account)


def _pod_name(manifests: list[dict], job_suffix: str = "-kafka-topics") -> str:
    return f"{topics_job(manifests, job_suffix)['metadata']['name']}-e2e"


def _claims_dir(cluster: podrunner.LocalCluster) -> Path:
    # podrunner keeps what outlives a pod (its claims) in <work>/claims.
    return cluster.work_dir / "claims"


def give_kubectl(cluster: podrunner.LocalCluster, namespace: ApiNamespace, service_account: str) -> dict[str, str]:
    """Let `cluster`'s kubectl-image containers reach the API server as `service_account`: the pinned
    kubectl in the image's place, and a kubeconfig with a fresh token of the account in the ConfigMap
    KUBECONFIG_CONFIG_MAP (see with_kubeconfig). The variables such a container runs with."""
    if cluster.kubectl is None:
        cluster.kubectl = kubectl_folder(cluster.work_dir / "kubectl") / "kubectl"
    path = namespace.kubeconfig_for(service_account, cluster.work_dir / f"kubeconfig-{service_account}")
    cluster.config_maps[KUBECONFIG_CONFIG_MAP] = {"data": {"config": path.read_text()}}
    return {"KUBECONFIG": f"{KUBECONFIG_DIR}/config"}


def with_kubeconfig(spec: dict, container: dict) -> None:
    """Mount the kubeconfig give_kubectl made into `container` of the pod `spec` (both changed)."""
    spec["volumes"] = list(spec.get("volumes") or []) + [
        {"name": KUBECONFIG_VOLUME, "configMap": {"name": KUBECONFIG_CONFIG_MAP, "defaultMode": 0o444}}]
    container["volumeMounts"] = list(container.get("volumeMounts") or []) + [
        {"name": KUBECONFIG_VOLUME, "mountPath": KUBECONFIG_DIR, "readOnly": True}]


def run_topics_job(cluster: podrunner.LocalCluster, manifests: list[dict], api: ReleaseApi,
                   timeout: float = STEP_TIMEOUT, *, job_suffix: str = "-kafka-topics",
                   steps: tuple[str, ...] | None = None, empty_dir_seeds: dict[str, Path] | None = None
                   ) -> JobRun:
    """Run the topics Job of `manifests` once, against `cluster`'s pods and `api`'s namespace.

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
    _claims_dir(cluster).mkdir(parents=True, exist_ok=True)
    for name, source in (empty_dir_seeds or {}).items():
        # cp -a keeps the owners and modes the earlier steps' user gave the files.
        subprocess.run(["cp", "-a", str(source), str(_claims_dir(cluster) / f"{name}-{pod_name}")], check=True)
    # The ConfigMaps as the API server has them now.
    cluster.config_maps.update({name: {"data": data} for name, data in api.config_maps().items()})
    kubectl_env = give_kubectl(cluster, api.namespace, api.service_account)

    def run_container(container: dict) -> subprocess.CompletedProcess:
        kubectl = container["image"] != kafka_image
        pod = _container_pod(cluster, pod_spec, container, pod_name, address, empty_dirs, kubectl)
        command = list(container.get("command") or []) + list(container.get("args") or [])
        cluster.create_pod(pod)
        try:
            return cluster.exec(pod, command, timeout=timeout, env=kubectl_env if kubectl else {})
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
    if kubectl:
        with_kubeconfig(spec, container)
    return podrunner.Pod(name=pod_name, statefulset="", ordinal=0, address=address, spec=spec,
                         labels={}, claim_names=list(empty_dirs),
                         dir=cluster.work_dir / "pods" / f"{pod_name}.{container['name']}")
