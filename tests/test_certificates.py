"""Certificates: no secret material in a chart, a Job and RBAC that create it in the cluster.

The chart never holds a key, a password or a key store: the certificates hook
Job makes them in the cluster (tests/e2e/test_certificates.py runs its scripts
for real). These tests look at what compile writes and what `helm template`
renders from it.
"""

import base64
import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from compiler.pipeline import Options, compile_specs
from compiler.verify import APPLIED_MANIFESTS_KEY

from .conftest import BUSYBOX, EXAMPLES, example_names, with_busybox
from .util import NAMESPACE, compile_chart, manifests_of, render_text

HOOK_EVENTS = "pre-install,pre-upgrade,pre-rollback"

# What key material looks like in a file, raw or base64-encoded.
SECRET_MATERIAL = {
    "PEM private key": re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
    "PEM certificate or request": re.compile(rb"-----BEGIN (CERTIFICATE|NEW CERTIFICATE REQUEST|"
                                             rb"CERTIFICATE REQUEST|PKCS12)-----"),
    # PKCS#12 (RFC 7292): SEQUENCE { INTEGER 3, ... }, with a long-form length.
    "PKCS#12 (DER)": re.compile(rb"\x30\x82..\x02\x01\x03\x30", re.S),
    # Any DER SEQUENCE of 256 bytes or more, base64-encoded: certificates, keys, key stores.
    "DER in base64": re.compile(rb"MII[A-Za-z0-9+/]{60}"),
    # A password property whose value is written out rather than read from a variable (a quoted
    # value, escaped in the JSON of a connector's options in values.yaml, is a reference).
    "password value": re.compile(rb"password\s*[=:]\s*[^\s$\"'{\\]", re.I),
    "JKS key store": re.compile(rb"\xfe\xed\xfe\xed"),
}
# Template functions that would make key material, or read it from the cluster, at render time.
RENDER_TIME_SECRETS = re.compile(
    r"\{\{[^}]*\b(lookup|genCA|genCAWithKey|genPrivateKey|genSelfSignedCert\w*|genSignedCert\w*|"
    r"randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|uuidv4|derivePassword|encryptAES|"
    r"htpasswd|now)\b")


def material_in(data: bytes) -> list[str]:
    return [name for name, pattern in SECRET_MATERIAL.items() if pattern.search(data)]


def test_the_scanner_finds_key_material(tmp_path):
    der = b"\x30\x82\x0a\x1b\x02\x01\x03\x30\x82\x09\xd4"
    assert "PKCS#12 (DER)" in material_in(b"data: " + der)
    assert "DER in base64" in material_in(base64.b64encode(der + bytes(200)))
    assert "PEM private key" in material_in(b"-----BEGIN RSA PRIVATE KEY-----\nMIIE...")
    assert "password value" in material_in(b"ssl.keystore.password=s3cret")
    assert material_in(b'echo "ssl.keystore.password=$node_password"') == []
    keytool = shutil.which("keytool")
    if keytool is None and not os.environ.get("CI"):
        pytest.skip("no keytool here to make a real key store with (Java 17 or newer)")
    subprocess.run([keytool, "-genkeypair", "-alias", "x", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=x", "-keystore", str(tmp_path / "x.p12"), "-storetype", "PKCS12",
                    "-storepass", "changeit"], check=True, capture_output=True, timeout=60)
    store = (tmp_path / "x.p12").read_bytes()
    assert "PKCS#12 (DER)" in material_in(store)
    assert "DER in base64" in material_in(base64.b64encode(store))


@pytest.fixture(scope="module")
def charts(tmp_path_factory, installed_tools) -> dict[str, Path]:
    """Every example's chart (verify runs in test_golden and for kraft_chart below); an example
    of several charts (examples/mirror) by `<example>/<chart>`."""
    out = tmp_path_factory.mktemp("charts")
    found = {}
    for example in example_names():
        result = compile_specs(Options((str(EXAMPLES / example),), out / example, verify=False))
        assert result.ok, [f"{f.span}: {f.rule}" for f in result.findings if f.is_error]
        if len(result.charts) == 1:
            found[example] = result.charts[0]
        found.update({f"{example}/{chart.name}": chart for chart in result.charts})
    return found


def _charts_of(charts: dict[str, Path], example: str) -> list[Path]:
    return [charts[example]] if example in charts else \
        [chart for key, chart in charts.items() if key.startswith(f"{example}/")]


@pytest.mark.tools
@pytest.mark.parametrize("example", example_names())
def test_no_key_password_or_key_store_in_the_chart_or_its_manifests(example, charts):
    for chart in _charts_of(charts, example):
        _assert_no_key_material(chart)


def _assert_no_key_material(chart: Path) -> None:
    found = [f"{path.relative_to(chart)}: {name}" for path in sorted(chart.rglob("*")) if path.is_file()
             for name in material_in(path.read_bytes())]
    rendered = render_text(chart)
    found += [f"rendered manifests: {name}" for name in material_in(rendered.encode())]
    assert not found, found
    objects = [doc for doc in yaml.safe_load_all(rendered) if doc]
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == [], \
        "the chart defines a Secret; certificates are made in the cluster"
    for path in sorted((chart / "templates").rglob("*")):
        if path.is_file():
            assert not RENDER_TIME_SECRETS.search(path.read_text()), path


@pytest.mark.tools
@pytest.mark.parametrize("example", example_names())
def test_helm_template_twice_gives_the_same_bytes(example, charts):
    for chart in _charts_of(charts, example):
        assert render_text(chart) == render_text(chart)


@pytest.fixture(scope="module")
def kraft_chart(tmp_path_factory, installed_tools) -> Path:
    """kraft-3x3, compiled and verified (helm lint, kubeconform on every object the Job needs)."""
    return compile_chart(EXAMPLES / "kraft-3x3", tmp_path_factory.mktemp("kraft") / "out")


def _by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def _certificates_job(objects: list[dict], kind: str = "Job") -> list[dict]:
    """The certificates Job's objects of `kind` (the chart has other Jobs)."""
    return [o for o in _by_kind(objects, kind) if o["metadata"]["name"].endswith("-kafka-certificates")]


@pytest.mark.tools
def test_the_job_and_its_rbac_are_hooks_that_run_in_order(kraft_chart):
    objects = manifests_of(kraft_chart)
    name = "my-cluster-kafka-certificates"
    hooks = {(o["kind"], o["metadata"]["name"]): o["metadata"]["annotations"] for o in objects
             if "helm.sh/hook" in (o["metadata"].get("annotations") or {})
             and o["metadata"]["name"].startswith(name)}
    assert set(hooks) == {("ServiceAccount", name), ("Role", name), ("RoleBinding", name),
                          ("ConfigMap", f"{name}-scripts"), ("Job", name)}
    for annotations in hooks.values():
        assert annotations["helm.sh/hook"] == HOOK_EVENTS
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"
    weight = {kind: int(annotations["helm.sh/hook-weight"]) for (kind, _), annotations in hooks.items()}
    assert weight["ServiceAccount"] < weight["Role"] < weight["RoleBinding"] < weight["Job"]
    assert weight["ConfigMap"] < weight["Job"]


def role_rules(objects: list[dict]) -> list[tuple[tuple, tuple]]:
    (role,) = _certificates_job(objects, "Role")
    assert all(r["resources"] == ["secrets"] and r["apiGroups"] == [""] for r in role["rules"])
    return sorted((tuple(r["verbs"]), tuple(r.get("resourceNames", ()))) for r in role["rules"])


@pytest.mark.tools
def test_without_kafka_exporter_the_job_reads_five_secrets_and_updates_those_it_renews(charts):
    objects = manifests_of(charts["quickstart"])
    assert role_rules(objects) == [
        (("create",), ()),
        (("get",), ("my-cluster-cluster-ca-cert", "my-cluster-cluster-ca", "my-cluster-kafka-node-certs",
                    "my-cluster-clients-ca-cert", "my-cluster-clients-ca")),
        (("update",), ("my-cluster-kafka-node-certs", "my-cluster-cluster-ca-cert", "my-cluster-cluster-ca",
                       "my-cluster-clients-ca-cert", "my-cluster-clients-ca")),
    ]
    (job,) = _certificates_job(objects)
    pod = job["spec"]["template"]["spec"]
    assert not [e for c in pod["initContainers"] + pod["containers"] for e in c["env"]
                if e["name"].startswith("KAFKAC_EXPORTER_")]


@pytest.mark.tools
def test_with_kafka_exporter_the_job_may_also_read_and_update_exactly_its_secret(kraft_chart):
    objects = manifests_of(kraft_chart)
    (role,) = _certificates_job(objects, "Role")
    assert role_rules(objects) == [
        (("create",), ()),
        (("get",), ("my-cluster-cluster-ca-cert", "my-cluster-cluster-ca", "my-cluster-kafka-node-certs",
                    "my-cluster-clients-ca-cert", "my-cluster-clients-ca", "my-cluster-kafka-exporter-certs")),
        (("update",), ("my-cluster-kafka-node-certs", "my-cluster-kafka-exporter-certs",
                       "my-cluster-cluster-ca-cert", "my-cluster-cluster-ca",
                       "my-cluster-clients-ca-cert", "my-cluster-clients-ca")),
    ]
    (job,) = _certificates_job(objects)
    pod = job["spec"]["template"]["spec"]
    env = {c["name"]: {e["name"]: e.get("value") for e in c["env"]} for c in pod["initContainers"] + pod["containers"]}
    for step in ("fetch", "issue", "store"):
        assert env[step]["KAFKAC_EXPORTER_CERT_SECRET"] == "my-cluster-kafka-exporter-certs", step
    assert env["issue"]["KAFKAC_EXPORTER_SUBJECT"] == "CN=my-cluster-kafka-exporter, O=io.strimzi"
    # The Secret the Job makes is the one Kafka Exporter mounts.
    (deployment,) = _by_kind(objects, "Deployment")
    secrets = {v["secret"]["secretName"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    assert secrets == {"my-cluster-cluster-ca-cert", "my-cluster-kafka-exporter-certs"}
    (binding,) = _by_kind(objects, "RoleBinding")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "my-cluster-kafka-certificates",
                                    "namespace": NAMESPACE}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    # The Kafka pods themselves still have no token and no rights.
    for sts in _by_kind(objects, "StatefulSet"):
        assert sts["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


@pytest.mark.tools
def test_with_cert_manager_the_job_may_manage_only_its_certificates_and_read_what_cert_manager_wrote(charts):
    objects = manifests_of(charts["cert-manager"])
    (role,) = [r for r in _by_kind(objects, "Role") if r["metadata"]["name"] == "cm-cluster-kafka-certificates"]
    rules = sorted((tuple(r["apiGroups"]), tuple(r["resources"]), tuple(r["verbs"]), tuple(r.get("resourceNames", ())))
                   for r in role["rules"])
    certificates = ("cm-cluster-kafka-node-certs", "cm-cluster-kafka-exporter-certs")
    assert rules == [
        (("",), ("secrets",), ("create",), ()),
        (("",), ("secrets",), ("get",), (
            "cm-cluster-cluster-ca-cert", "cm-cluster-cluster-ca", "cm-cluster-kafka-node-certs",
            "cm-cluster-clients-ca-cert", "cm-cluster-clients-ca", "cm-cluster-kafka-exporter-certs",
            "cm-cluster-kafka-node-certs-cm", "cm-cluster-kafka-exporter-certs-cm", "cluster-ca-bundle",
            "clients-ca-bundle")),
        # The CA certificate Secrets take the bundles; the CA key Secrets are never written.
        (("",), ("secrets",), ("update",), ("cm-cluster-kafka-node-certs", "cm-cluster-kafka-exporter-certs",
                                            "cm-cluster-cluster-ca-cert", "cm-cluster-clients-ca-cert")),
        (("cert-manager.io",), ("certificates",), ("create",), ()),
        (("cert-manager.io",), ("certificates",), ("get", "update"), certificates),
    ]
    (job,) = [j for j in _by_kind(objects, "Job") if j["metadata"]["name"] == "cm-cluster-kafka-certificates"]
    pod = job["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"] + pod["containers"]] == ["request", "fetch", "issue", "store"]
    (config_map,) = [m for m in _by_kind(objects, "ConfigMap") if APPLIED_MANIFESTS_KEY in m.get("data", {})
                     and m["metadata"]["name"] == "cm-cluster-kafka-certificates-scripts"]
    applied = json.loads(config_map["data"][APPLIED_MANIFESTS_KEY])
    assert [(c["metadata"]["name"], c["spec"]["secretName"]) for c in applied] == \
        [(name, f"{name}-cm") for name in certificates]
    assert all(c["spec"]["issuerRef"] == {"name": "cluster-issuer", "kind": "Issuer", "group": "cert-manager.io"}
               and (c["spec"]["duration"], c["spec"]["renewBefore"]) == ("2160h", "720h") for c in applied)
    # Certificates are the Job's: the chart holds none that Helm would delete and re-create.
    assert not _by_kind(objects, "Certificate")


@pytest.mark.tools
def test_job_containers_are_restricted_pinned_and_sized(kraft_chart):
    objects = manifests_of(kraft_chart)
    (job,) = _certificates_job(objects)
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "my-cluster-kafka-certificates"
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    containers = pod["initContainers"] + pod["containers"]
    assert [c["name"] for c in containers] == ["fetch", "issue", "store"]
    # openssl: Strimzi's Kafka image has it, apache/kafka does not.
    assert [c["image"] for c in containers] == [
        "registry.k8s.io/kubectl:v1.35.10", "quay.io/strimzi/kafka:0.48.0-kafka-4.1.0",
        "registry.k8s.io/kubectl:v1.35.10"]
    for container in containers:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
        # Scripts are files of the hook ConfigMap, run as they are: no script text in the manifest.
        assert container["command"][1].startswith("/opt/kafkac/scripts/certs-")
        assert all(len(arg) < 100 for arg in container["command"])
    (work,) = [v for v in pod["volumes"] if v["name"] == "work"]
    assert work["emptyDir"]["medium"] == "Memory"
    (scripts,) = [o for o in _by_kind(objects, "ConfigMap")
                  if o["metadata"]["name"] == "my-cluster-kafka-certificates-scripts"]
    assert sorted(scripts["data"]) == ["certs-ca.sh", "certs-exporter.sh", "certs-fetch.sh", "certs-issue.sh",
                                       "certs-jmx.sh", "certs-names.sh", "certs-node.sh", "certs-stage.sh",
                                       "certs-store.sh", "ipv6-text.awk", "log.sh", "tls-tools.sh"]


@pytest.mark.tools
def test_the_kubectl_image_can_be_overridden_in_values(kraft_chart, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("certificates:\n  job:\n    kubectlImage:\n"
                      "      name: mirror.example.com/kubectl:v1.35.10\n      pullPolicy: Always\n")
    (job,) = _certificates_job(manifests_of(kraft_chart, [values]))
    pod = job["spec"]["template"]["spec"]
    kubectl = [c for c in pod["initContainers"] + pod["containers"] if c["name"] in ("fetch", "store")]
    assert {(c["image"], c["imagePullPolicy"]) for c in kubectl} == {
        ("mirror.example.com/kubectl:v1.35.10", "Always")}


@pytest.mark.tools
def test_kafka_pods_mount_the_certificate_secrets_read_only(kraft_chart):
    for sts in _by_kind(manifests_of(kraft_chart), "StatefulSet"):
        pod = sts["spec"]["template"]["spec"]
        secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        assert secrets["cluster-ca-cert"] == "my-cluster-cluster-ca-cert"
        assert secrets["node-certs"] == "my-cluster-kafka-node-certs"
        mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
        assert mounts["cluster-ca-cert"]["readOnly"] and mounts["node-certs"]["readOnly"]


@pytest.mark.tools
def test_a_ca_you_provide_reaches_the_job_as_false(tmp_path):
    """generateCertificateAuthority: false compiles, and the issue step learns it from its environment."""
    case = Path(__file__).parent / "cases" / "valid" / "cluster-ca-user-provided.yaml"
    spec = tmp_path / "kafka.yaml"  # in the dev profile: the production policies are not the point here
    spec.write_text(case.read_text().replace("  name: my-cluster\nspec:",
                                             "  name: my-cluster\n  annotations:\n    kafkac.io/profile: dev\nspec:", 1))
    chart = compile_chart(spec, tmp_path / "out", verify=False)
    values = yaml.safe_load((chart / "values.yaml").read_text())["certificates"]
    assert values["generateCertificateAuthority"] is False
    assert values["clientsCa"]["generateCertificateAuthority"] is True
    (job,) = _certificates_job(manifests_of(chart))
    (issue,) = [c for c in job["spec"]["template"]["spec"]["initContainers"] if c["name"] == "issue"]
    env = {e["name"]: e.get("value") for e in issue["env"]}
    assert (env["KAFKAC_CLUSTER_CA_GENERATE"], env["KAFKAC_CLIENTS_CA_GENERATE"]) == ("false", "true")
    # The Job renews the clients CA it generates, and may never update the Secrets of yours.
    (role,) = _certificates_job(manifests_of(chart), "Role")
    (update,) = [r for r in role["rules"] if r["verbs"] == ["update"]]
    assert update["resourceNames"] == ["my-cluster-kafka-node-certs", "my-cluster-clients-ca-cert",
                                       "my-cluster-clients-ca"]


IPV6_TEXT = Path(__file__).resolve().parent.parent / "charts" / "kafka" / "files" / "ipv6-text.awk"


@pytest.mark.parametrize("awk", [["awk"], with_busybox([BUSYBOX, "awk"])], ids=["system", "busybox"])
def test_the_job_writes_ipv6_addresses_as_openssl_prints_them(awk):
    """ipv6-text.awk, the one place that knows openssl's form of an IPv6 address in a certificate
    (upper-case hex groups without leading zeros, none left out), given the forms that reach it:
    what the compiler passes (full groups), what a Service's status says (compressed) and what
    openssl prints of a certificate."""
    for given in ("2001:db8::5", "2001:0db8:0000:0000:0000:0000:0000:0005", "::1", "fe80::", "1:2:3:4:5:6:7:8",
                  "2001:DB8:0:0:0:0:0:5", "FE80::A"):
        done = subprocess.run([*awk, "-f", str(IPV6_TEXT)], input=given + "\n", capture_output=True, text=True)
        groups = ipaddress.ip_address(given).exploded.split(":")
        assert (done.returncode, done.stdout) == (0, ":".join(format(int(g, 16), "X") for g in groups) + "\n")
    for refused in ("2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "::ffff:192.0.2.1", "2001:db8::g"):
        done = subprocess.run([*awk, "-f", str(IPV6_TEXT)], input=refused + "\n", capture_output=True, text=True)
        assert done.returncode == 1, refused


@pytest.mark.parametrize("awk", [["awk"], with_busybox([BUSYBOX, "awk"])], ids=["system", "busybox"])
def test_openssl_prints_an_ipv6_address_as_ipv6_text_writes_it(awk, tmp_path):
    """The node certificate's IPv6 addresses, as this machine's openssl prints them, are in the
    form ipv6-text.awk writes (the Job normalises both sides anyway)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=x", "-days", "1",
                    "-addext", "subjectAltName=IP:2001:db8::5"], check=True, capture_output=True)
    printed = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(cert)],
                             check=True, capture_output=True, text=True).stdout
    address = printed.split("IP Address:")[1].strip()
    done = subprocess.run([*awk, "-f", str(IPV6_TEXT)], input=address + "\n", capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, address + "\n")


FILES = IPV6_TEXT.parent
ISSUE_SECRETS = {"KAFKAC_CLUSTER_CA_CERT_SECRET": "c-cluster-ca-cert", "KAFKAC_CLUSTER_CA_SECRET": "c-cluster-ca",
                 "KAFKAC_NODE_CERT_SECRET": "c-kafka-node-certs", "KAFKAC_CLIENTS_CA_CERT_SECRET": "c-clients-ca-cert",
                 "KAFKAC_CLIENTS_CA_SECRET": "c-clients-ca", "KAFKAC_EXPORTER_CERT_SECRET": "c-kafka-exporter-certs"}


def _issue_step(shell: list[str], work: Path, path: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": path, "KAFKAC_WORK_DIR": str(work), "KAFKAC_NAMESPACE": "ns", **ISSUE_SECRETS, **(extra or {}),
           "KAFKAC_CA_SUBJECT": "CN=cluster-ca v0, O=io.strimzi", "KAFKAC_NODE_SUBJECT": "CN=c-kafka, O=io.strimzi",
           "KAFKAC_CLIENTS_CA_SUBJECT": "CN=clients-ca v0, O=io.strimzi",
           "KAFKAC_EXPORTER_SUBJECT": "CN=c-kafka-exporter, O=io.strimzi",
           "KAFKAC_DNS_NAMES": "c-kafka c-kafka.ns *.c-kafka.ns.svc", "KAFKAC_EXTERNAL_DNS_NAMES": "kafka.example.com",
           "KAFKAC_EXTERNAL_IP_ADDRESSES": "198.51.100.3 2001:0db8:0000:0000:0000:0000:0000:0005",
           "KAFKAC_VALIDITY_DAYS": "365", "KAFKAC_RENEWAL_DAYS": "30", "KAFKAC_CLIENTS_CA_VALIDITY_DAYS": "365",
           "KAFKAC_CLIENTS_CA_RENEWAL_DAYS": "30", "KAFKAC_CLUSTER_CA_GENERATE": "true",
           "KAFKAC_CLIENTS_CA_GENERATE": "true"}
    return subprocess.run([*shell, str(FILES / "certs-issue.sh")], env=env, capture_output=True, text=True,
                          timeout=120)


def _as_existing(work: Path) -> None:
    """What certs-store.sh wrote, as certs-fetch.sh reads it back on the next run."""
    for secret in (work / "new").iterdir():
        if secret.is_dir():
            shutil.copytree(secret / "data", work / "existing" / secret.name / "data", dirs_exist_ok=True)
            (work / "existing" / secret.name / "resourceVersion").write_text("1")


def _openssl(*args: str, data: bytes | None = None) -> str:
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout.decode()


@pytest.mark.parametrize("shell", [["dash"], with_busybox([BUSYBOX, "sh"])], ids=["dash", "busybox"])
def test_the_issue_step_makes_strimzis_secrets_with_openssl_alone(shell, tmp_path):
    """certs-issue.sh, run by dash and by BusyBox (its awk, od, tr, ... first on PATH) with openssl
    and nothing of Java: Strimzi's Secrets, a second run keeps them all, and a renewed CA
    certificate keeps its key and key identifier."""
    if shutil.which(shell[0]) is None and not os.environ.get("CI"):
        pytest.skip(f"no {shell[0]} here (Debian's dash package; BusyBox: `python -m tests.host_tools install`)")
    tools = tmp_path / "bin"
    tools.mkdir()
    if shell[0] == BUSYBOX:
        for applet in ("awk", "cat", "cmp", "cp", "date", "head", "mkdir", "od", "rm", "sed", "seq", "tr", "grep"):
            (tools / applet).symlink_to(BUSYBOX)
    (tools / "openssl").symlink_to(shutil.which("openssl"))
    path = f"{tools}:/usr/bin:/bin" if shell[0] != BUSYBOX else str(tools)
    work = tmp_path / "work"
    (work / "existing").mkdir(parents=True)
    jmx = {"KAFKAC_JMX_SECRET": "c-kafka-jmx"}
    done = _issue_step(shell, work, path, jmx)
    assert done.returncode == 0, done.stderr + done.stdout
    new = work / "new"
    assert (new / "order").read_text().split() == [
        "c-cluster-ca", "c-cluster-ca-cert", "c-kafka-node-certs", "c-kafka-exporter-certs", "c-clients-ca",
        "c-clients-ca-cert", "c-kafka-jmx"]
    keys = {secret.name: sorted(p.name for p in (secret / "data").iterdir()) for secret in new.iterdir()
            if secret.is_dir()}
    assert keys == {"c-cluster-ca": ["ca.key", "ca.p12", "ca.password"],
                    "c-cluster-ca-cert": ["ca.crt", "ca.p12", "ca.password"],
                    "c-clients-ca": ["ca.key", "ca.p12", "ca.password"],
                    "c-clients-ca-cert": ["ca.crt", "ca.p12", "ca.password"],
                    "c-kafka-node-certs": ["node.crt", "node.p12", "node.password"],
                    "c-kafka-exporter-certs": ["kafka-exporter.crt", "kafka-exporter.key"],
                    "c-kafka-jmx": ["jmx-password", "jmx-username"]}
    jmx_words = [(new / "c-kafka-jmx" / "data" / key).read_text() for key in ("jmx-username", "jmx-password")]
    assert all(re.fullmatch("[A-Za-z0-9]{32}", word) for word in jmx_words) and jmx_words[0] != jmx_words[1]
    ca = new / "c-cluster-ca-cert" / "data" / "ca.crt"
    node = new / "c-kafka-node-certs" / "data" / "node.crt"
    text = _openssl("x509", "-noout", "-text", "-in", str(node))
    assert "Subject: O = io.strimzi, CN = c-kafka" in text
    assert "DNS:c-kafka, DNS:c-kafka.ns, DNS:*.c-kafka.ns.svc, DNS:kafka.example.com, " \
           "IP Address:198.51.100.3, IP Address:2001:DB8:0:0:0:0:0:5" in text
    assert "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    _openssl("verify", "-CAfile", str(ca), str(node))
    ca_text = _openssl("x509", "-noout", "-text", "-in", str(ca))
    assert "CA:TRUE" in ca_text and "Certificate Sign, CRL Sign" in ca_text
    assert "Subject: O = io.strimzi, CN = cluster-ca v0" in ca_text
    assert (new / "c-kafka-exporter-certs" / "data" / "kafka-exporter.key").read_text().startswith(
        "-----BEGIN PRIVATE KEY-----")
    keytool = shutil.which("keytool")
    if keytool:  # Java reads the stores: the CA's trust store, the node's key and chain
        for secret, store, kind in (("c-cluster-ca-cert", "ca.p12", "trustedCertEntry"),
                                    ("c-cluster-ca", "ca.p12", "PrivateKeyEntry"),
                                    ("c-kafka-node-certs", "node.p12", "PrivateKeyEntry")):
            data = new / secret / "data"
            password = (data / ("node.password" if store == "node.p12" else "ca.password")).read_text()
            listed = subprocess.run([keytool, "-J-Duser.language=en", "-list", "-keystore", str(data / store),
                                     "-storetype", "PKCS12", "-storepass", password],
                                    check=True, capture_output=True, text=True, timeout=60).stdout
            assert f", {kind}," in listed and "contains 1 entry" in listed, listed

    _as_existing(work)
    done = _issue_step(shell, work, path, jmx)
    assert done.returncode == 0, done.stderr + done.stdout
    assert (work / "new" / "order").read_text() == ""
    assert "JMX credentials: kept (Secret c-kafka-jmx exists)" in done.stdout

    ca = work / "existing" / "c-cluster-ca-cert" / "data" / "ca.crt"
    ski = _openssl("x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", str(ca))
    (work / "existing" / "c-cluster-ca-cert" / "force-renew").touch()
    done = _issue_step(shell, work, path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert (work / "new" / "order").read_text().split() == [
        "c-cluster-ca", "c-cluster-ca-cert", "c-kafka-node-certs", "c-kafka-exporter-certs"]
    renewed = work / "new" / "c-cluster-ca-cert" / "data" / "ca.crt"
    assert _openssl("x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", str(renewed)) == ski
    assert _openssl("x509", "-noout", "-pubkey", "-in", str(renewed)) == \
        _openssl("x509", "-noout", "-pubkey", "-in", str(ca))
    assert _openssl("x509", "-noout", "-fingerprint", "-in", str(renewed)) != \
        _openssl("x509", "-noout", "-fingerprint", "-in", str(ca))


def test_secrets_keytool_made_are_read_and_kept(tmp_path):
    """A cluster whose Secrets an older chart made with keytool keeps its CA and node
    certificate: openssl reads keytool's key stores and certificates (IPv6 names too)."""
    keytool = shutil.which("keytool")
    if keytool is None and not os.environ.get("CI"):
        pytest.skip("no keytool here to make the Secrets of an older chart with (Java 17 or newer)")
    existing = tmp_path / "work" / "existing"
    ca, ca_cert, node = (existing / ISSUE_SECRETS[name] / "data" for name in (
        "KAFKAC_CLUSTER_CA_SECRET", "KAFKAC_CLUSTER_CA_CERT_SECRET", "KAFKAC_NODE_CERT_SECRET"))
    for folder in (ca, ca_cert, node):
        folder.mkdir(parents=True)
        (folder.parent / "resourceVersion").write_text("1")

    def run(*args: str) -> None:
        subprocess.run([keytool, "-J-XX:TieredStopAtLevel=1", *args], check=True, capture_output=True, timeout=120)

    (ca / "ca.password").write_text("capassword")
    (ca_cert / "ca.password").write_text("trustpassword")
    (node / "node.password").write_text("nodepassword")
    ca_store = ["-keystore", str(ca / "ca.p12"), "-storetype", "PKCS12", "-storepass", "capassword"]
    node_store = ["-keystore", str(node / "node.p12"), "-storetype", "PKCS12", "-storepass", "nodepassword"]
    run("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=cluster-ca v0, O=io.strimzi",
        "-ext", "BC:c=ca:true", "-ext", "KU:c=keyCertSign,cRLSign", "-startdate", "-1H", "-validity", "365", *ca_store)
    run("-exportcert", "-rfc", "-alias", "ca", "-file", str(ca_cert / "ca.crt"), *ca_store)
    run("-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_cert / "ca.crt"), "-keystore",
        str(ca_cert / "ca.p12"), "-storetype", "PKCS12", "-storepass", "trustpassword")
    run("-genkeypair", "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=c-kafka, O=io.strimzi",
        *node_store)
    run("-certreq", "-alias", "node", "-file", str(tmp_path / "node.csr"), *node_store)
    run("-gencert", "-alias", "ca", "-infile", str(tmp_path / "node.csr"), "-outfile", str(node / "node.crt"),
        "-rfc", "-startdate", "-1H", "-validity", "365", "-ext",
        "SAN=dns:c-kafka,dns:c-kafka.ns,dns:*.c-kafka.ns.svc,dns:kafka.example.com,ip:198.51.100.3,"
        "ip:2001:db8:0:0:0:0:0:5", "-ext", "KU:c=digitalSignature,keyEncipherment", "-ext", "EKU=serverAuth,clientAuth",
        *ca_store)
    run("-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_cert / "ca.crt"), *node_store)
    run("-importcert", "-noprompt", "-alias", "node", "-file", str(node / "node.crt"), *node_store)
    run("-delete", "-alias", "ca", *node_store)

    done = _issue_step(["dash"], tmp_path / "work", "/usr/bin:/bin")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "cluster CA: kept" in done.stdout and "cluster CA certificate: kept" in done.stdout
    assert "node certificate: kept" in done.stdout
    # The CA made by an older chart had no ca.key yet: written from its key store, the rest kept.
    assert (tmp_path / "work" / "new" / "order").read_text().split() == [
        ISSUE_SECRETS["KAFKAC_CLUSTER_CA_SECRET"], ISSUE_SECRETS["KAFKAC_EXPORTER_CERT_SECRET"],
        ISSUE_SECRETS["KAFKAC_CLIENTS_CA_SECRET"], ISSUE_SECRETS["KAFKAC_CLIENTS_CA_CERT_SECRET"]]
    exporter = tmp_path / "work" / "new" / ISSUE_SECRETS["KAFKAC_EXPORTER_CERT_SECRET"] / "data"
    _openssl("verify", "-CAfile", str(ca_cert / "ca.crt"), str(exporter / "kafka-exporter.crt"))
