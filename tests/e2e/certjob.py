"""Run a chart's certificates Job (or its users Job, whose Secret steps work the same way) on
this machine: its steps, in order, as rendered.

The Job comes from the chart rendered by the real `helm template`. Each of its
containers (the init containers fetch and issue, then the container store)
runs to completion, in order, as the pod's runAsUser/runAsGroup, with exactly
its rendered command and environment; a step that fails fails the Job, as
with restartPolicy: Never. The scripts are the chart's own, from the rendered
hook ConfigMap.

What stands in for the cluster:

* Volumes: each of the Job's volumes is a folder, shared by the steps as the
  pod's volumes are; a mount path in a command or environment value is
  rewritten to its folder (this is the only change made to what was rendered).
* The API server: the tests' control plane (tests/kube/control_plane.py), in
  the namespace the chart was rendered for (an ApiNamespace). Before the steps
  the rendered ServiceAccount, Role and RoleBinding of the Job are created, as
  helm creates them before the hook, and the steps reach the API server with a
  token of that ServiceAccount: a call beyond the chart's Role is refused, as in
  a cluster.
* Images: the steps of the kubectl image (fetch, store; request in the users
  Job) find bash, jq and coreutils, as that image has them, and the pinned
  kubectl first on PATH, with KUBECONFIG naming the ServiceAccount's kubeconfig
  and HOME a folder of the pod's user (kubectl's discovery cache). Every other
  step (issue, in Strimzi's Kafka image; the users Job's apply, in the Kafka
  image) finds the machine's JDK first on PATH, for java, and its openssl.

The Secrets the Job wrote are then read from the API server
(`ApiNamespace.secrets()`), and podrunner.LocalCluster mounts them into the
Kafka pods.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


from compiler.model import DEFAULT_KUBECTL_IMAGE

from ..kube.api_namespace import ApiNamespace, kubectl_folder
from ..util import JobRun, run_steps

STEP_TIMEOUT = 300.0


class JobFailed(Exception):
    """A step of the Job exited with an error."""


def certificate_job(manifests: list[dict], suffix: str = "-kafka-certificates") -> tuple[dict, dict]:
    """The rendered certificates Job (or the Job named `<cluster><suffix>`) and the ConfigMap
    its scripts come from."""
    (job,) = [m for m in manifests if m.get("kind") == "Job"
              and m["metadata"]["name"].endswith(suffix)]
    volumes = job["spec"]["template"]["spec"]["volumes"]
    scripts_name = next(v["configMap"]["name"] for v in volumes if "configMap" in v)
    (scripts,) = [m for m in manifests if m.get("kind") == "ConfigMap"
                  and m["metadata"]["name"] == scripts_name]
    return job, scripts


def shared_folder(prefix: str) -> Path:
    """A new folder under /tmp that the Job's (non-root) user can reach, unlike pytest's tmp_path."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(folder, 0o711)
    return folder


def run_certificate_job(manifests: list[dict], api: ApiNamespace, work: Path,
                        java_home: Path, env: dict[str, dict[str, str]] | None = None,
                        check: bool = True,
                        before: dict[str, Callable[[], None]] | None = None,
                        job_suffix: str = "-kafka-certificates",
                        steps: tuple[str, ...] | None = None) -> JobRun:
    """Run the Job's steps against the namespace `api` of the tests' API server.

    `manifests` must be rendered for that namespace (the Job's Role, its certificates'
    names). `work` must be in a folder the Job's user can reach (shared_folder).
    `env` overrides environment variables per step (step name -> name -> value), for
    tests that act out an older chart; `before` calls a function before a step (step
    name -> function), for tests that change the namespace meanwhile; `check` raises
    JobFailed when a step fails. `job_suffix` picks another Job that works with Secrets
    only (the users Job), and `steps` runs only the steps so named.
    """
    job, scripts = certificate_job(manifests, job_suffix)
    namespace = api.name
    if job["metadata"].get("namespace", namespace) != namespace:
        raise JobFailed(f"the Job was rendered for namespace {job['metadata']['namespace']}, not {namespace}")
    pod = job["spec"]["template"]["spec"]
    security = pod.get("securityContext") or {}
    uid, gid = security.get("runAsUser", 0), security.get("runAsGroup", 0)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    os.chmod(work, 0o755)
    account = api.apply_job_rbac(manifests, job)
    kubeconfig = api.kubeconfig_for(account, work / "kubeconfig")
    kubectl = kubectl_folder(work / "bin")
    home = work / "home"  # kubectl's cache, the pod user's own
    home.mkdir()
    os.chown(home, uid, gid)
    os.chmod(home, 0o700)
    folders = {}
    for volume in pod["volumes"]:
        folder = work / "volumes" / volume["name"]
        folder.mkdir(parents=True)
        os.chmod(folder.parent, 0o755)
        if "configMap" in volume:
            for key, text in scripts["data"].items():
                (folder / key).write_text(text)
                os.chmod(folder / key, 0o644)
            os.chmod(folder, 0o755)
        else:  # emptyDir: writable by the pod's user and fsGroup
            os.chown(folder, 0, security.get("fsGroup", gid))
            os.chmod(folder, 0o2770)
        folders[volume["name"]] = folder

    def run_container(container: dict) -> subprocess.CompletedProcess:
        mounts = {m["mountPath"]: folders[m["name"]] for m in container.get("volumeMounts", [])}

        def local(text: str) -> str:
            for path in sorted(mounts, key=len, reverse=True):
                if text == path or text.startswith(path + "/"):
                    return str(mounts[path]) + text[len(path):]
            return text

        variables = {"LANG": "C.UTF-8"}
        if container["image"] == DEFAULT_KUBECTL_IMAGE:
            variables.update(PATH=f"{kubectl}:/usr/local/bin:/usr/bin:/bin", KUBECONFIG=str(kubeconfig),
                             HOME=str(home))
        else:
            variables["PATH"] = f"{java_home}/bin:/usr/local/bin:/usr/bin:/bin"
        for item in container.get("env", []):
            if "valueFrom" not in item:  # no value is an empty one, as the kubelet sets it
                variables[item["name"]] = local(str(item.get("value", "")))
            elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
                variables[item["name"]] = namespace
            else:
                raise JobFailed(f"{container['name']}: env {item['name']} has a source the runner does not know")
        variables.update((env or {}).get(container["name"], {}))
        command = [local(arg) for arg in container["command"] + container.get("args", [])]
        if (before or {}).get(container["name"]):
            before[container["name"]]()
        return subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--",
             "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in variables.items()), *command],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=STEP_TIMEOUT,
            cwd=str(folders.get("tmp", work)))

    run = run_steps(pod, run_container, steps)
    if check and run.exit_code != 0:
        failed = next(s for s in run.steps if s.returncode != 0)
        raise JobFailed(f"step {failed.name} failed:\n{run.log}")
    return run
