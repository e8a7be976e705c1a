"""The schemas kubeconform checks a chart against, prepared once into kafkac's cache.

Kubernetes' own come from the strict schemas kubernetes-validate ships,
rewritten so that they resolve without a network. Route (OpenShift), the
Prometheus Operator's PodMonitor and PrometheusRule, and cert-manager's
Certificate are converted from the CRDs of their pinned Go modules, which
`tools.go_module_dir` downloads.
`kafkac tools install` prepares them all (`prepare_all`).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import yaml

from . import tools
from .schema_refs import LOCAL_PREFIX, local_references, reached_definitions


def _silent(_: str) -> None:
    pass


# --- Kubernetes schemas for kubeconform ---------------------------------------------------

@functools.cache
def _packaged_schemas() -> tuple[str, Path]:
    # Found, not imported: importing kubernetes_validate imports jsonschema, a sixth of a
    # second in every verify, which only needs to know where the package's files are.
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'kubernetes_validate'", name="kubernetes_validate")
    return (metadata.version("kubernetes-validate"),
            Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema")


def kube_schema_dir(kube_version: str) -> Path:
    """Self-contained copies of kubernetes-validate's strict schemas for one Kubernetes version.

    The package's files carry `$id: https://kubernetes.io/api/...` and
    `$ref: /api/_definitions.json#/$defs/...`; kubeconform resolves those against
    the `$id` and goes to the network, and with the refs made local it would
    still parse the whole 1.8 MB `_definitions.json` for every kind it checks.
    Each copy has no `$id` and carries, under its own `$defs`, just the
    definitions it reaches (what kubeconform's "standalone-strict" schema sets
    are). Made once, atomically, per package and Kubernetes version, for the
    files that describe a resource (those with a `kind`).
    """
    version = tools.normalize_kube_version(kube_version)
    package_version, packaged = _packaged_schemas()
    source_dir = packaged / f"v{version}-local-strict"

    def write(staging: Path) -> None:
        definitions = json.loads((source_dir / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
        for source in sorted(source_dir.glob("*.json")):
            schema = json.loads(source.read_text(encoding="utf-8"))
            if "kind" in schema.get("properties", {}):
                (staging / source.name).write_text(json.dumps(_standalone(schema, definitions)),
                                                   encoding="utf-8")

    return _made_once(_kube_schemas_cache(package_version) / f"v{version}-standalone-strict", write)


def _kube_schemas_cache(package_version: str) -> Path:
    return tools.cache_dir() / "kube-schemas" / f"kubernetes-validate-{package_version}"


def _made_once(final: Path, write: Callable[[Path], None]) -> Path:
    """The folder `final`, the first time written by `write` into a staging folder beside it and
    moved into place atomically; as it is after that."""
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        write(staging)
        tools.move_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


_SHARED_DEFINITIONS = "/api/_definitions.json#/$defs/"


def _standalone(schema: dict, definitions: dict) -> dict:
    """`schema` without `$id`, its refs into the shared definitions made local, and the
    definitions it reaches (transitively) under its own `$defs`."""
    schema = _local_refs({key: value for key, value in schema.items() if key != "$id"})
    reached = reached_definitions(local_references(schema), definitions)
    if reached:
        schema["$defs"] = {name: reached[name] for name in sorted(reached)}
    return schema


def _local_refs(node):
    if isinstance(node, dict):
        return {key: (value.replace(_SHARED_DEFINITIONS, LOCAL_PREFIX, 1)
                      if key == "$ref" and isinstance(value, str) else _local_refs(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    return node


def kubeconform_schema_location(kube_version: str) -> str:
    """The `-schema-location` template for `kube_schema_dir(kube_version)`.

    The folder is already the strict one for this version, so the template only
    picks the file; run kubeconform with `-strict` and the same version.
    """
    return str(kube_schema_dir(kube_version) / "{{ .ResourceKind }}{{ .KindSuffix }}.json")


# The form of the conjoined schemas: a change to how they are made names a new folder.
_CONJOINED_FORM = 1


def conjoined_schema_dir(kube_versions: Sequence[str]) -> Path:
    """Schemas that a resource passes exactly when it passes those of every one of `kube_versions`
    (`schema_conjunction`), for the kinds all of them have: one kubeconform run checks a
    rendering for every version at once. Made once, atomically, per package and set of versions,
    from kubernetes-validate's files as `kube_schema_dir` reads them. A kind whose schemas the
    conjunction cannot take apart is left out (kubeconform then finds no schema for it here).
    """
    from .schema_conjunction import Conjunction  # imported late: only the first verify needs it

    versions = sorted({tools.normalize_kube_version(v) for v in kube_versions}, key=_version_key)
    package_version, packaged = _packaged_schemas()
    name = f"v{'+v'.join(versions)}-conjoined-strict-{_CONJOINED_FORM}"
    source_dirs = [packaged / f"v{version}-local-strict" for version in versions]

    def write(staging: Path) -> None:
        tables = [_local_refs(json.loads((source / "_definitions.json").read_text(encoding="utf-8"))["$defs"])
                  for source in source_dirs]
        kinds = set.intersection(*({p.name for p in source.glob("*.json") if p.name != "_definitions.json"}
                                   for source in source_dirs))
        conjunction = Conjunction(tables)
        for kind in sorted(kinds):
            schemas = [_local_refs({key: value for key, value in json.loads(
                (source / kind).read_text(encoding="utf-8")).items() if key != "$id"})
                for source in source_dirs]
            if not all("kind" in schema.get("properties", {}) for schema in schemas):
                continue
            try:
                conjoined = conjunction.schema(schemas)
            except ValueError:
                continue
            (staging / kind).write_text(json.dumps(conjoined), encoding="utf-8")

    return _made_once(_kube_schemas_cache(package_version) / name, write)


def conjoined_schema_location(kube_versions: Sequence[str]) -> str:
    """The `-schema-location` template for `conjoined_schema_dir(kube_versions)`."""
    return str(conjoined_schema_dir(kube_versions) / "{{ .ResourceKind }}{{ .KindSuffix }}.json")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# --- Schemas of the OpenShift objects a chart may hold (Route) -----------------------------

# The OpenShift API Go module, pinned; it ships Route's CRD manifest, whose
# openAPIV3Schema becomes kubeconform's schema for route.openshift.io/v1 Route.
OPENSHIFT_API_MODULE = "github.com/openshift/api"
OPENSHIFT_API_VERSION = "v0.0.0-20251015095338-264e80a2b6e7"
OPENSHIFT_CRDS = {"route-route-v1.json": ("route/v1/zz_generated.crd-manifests/routes.crd.yaml", "v1")}


def openshift_schema_dir(log: Callable[[str], None] = _silent) -> Path:
    """kubeconform schemas converted from the pinned OpenShift API module's CRD manifests,
    made once per module version, atomically."""
    def write(staging: Path) -> None:
        log(f"downloading {OPENSHIFT_API_MODULE}@{OPENSHIFT_API_VERSION} (go mod download) for the Route schema")
        module_dir = tools.go_module_dir(OPENSHIFT_API_MODULE, OPENSHIFT_API_VERSION)
        for name, (manifest, version) in OPENSHIFT_CRDS.items():
            crd = yaml.safe_load((module_dir / manifest).read_text(encoding="utf-8"))
            served = next(v for v in crd["spec"]["versions"] if v["name"] == version)
            schema = kubeconform_schema(served["schema"]["openAPIV3Schema"])
            (staging / name).write_text(json.dumps(schema, sort_keys=True), encoding="utf-8")

    return _made_once(tools.cache_dir() / "openshift-schemas" / OPENSHIFT_API_VERSION, write)


def kubeconform_schema(openapi):
    """A CRD's OpenAPI v3 schema as a strict JSON schema: objects with listed properties take
    no others, `x-kubernetes-int-or-string` means an integer or a string, and the null
    values some generated manifests carry (`anyOf: null`) are left out."""
    if isinstance(openapi, list):
        return [kubeconform_schema(item) for item in openapi]
    if not isinstance(openapi, dict):
        return openapi
    schema = {key: kubeconform_schema(value) for key, value in openapi.items()
              if not key.startswith("x-kubernetes-") and value is not None}
    if openapi.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "string"}, {"type": "integer"}]
    if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema \
            and not openapi.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    if schema.get("type") == "object" and "properties" not in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = True
    return schema


def openshift_schema_location() -> str:
    """A second kubeconform `-schema-location`, for the OpenShift kinds."""
    return str(openshift_schema_dir() / "{{ .ResourceKind }}{{ .KindSuffix }}.json")


# --- Prometheus Operator CRD schemas for kubeconform ---------------------------------------

PROMETHEUS_OPERATOR_MODULE = "github.com/prometheus-operator/prometheus-operator"
PROMETHEUS_OPERATOR_VERSION = "v0.85.0"
# The kinds charts emit, from the CRDs the module publishes in example/prometheus-operator-crd.
PROMETHEUS_OPERATOR_CRDS = ("monitoring.coreos.com_podmonitors.yaml",
                            "monitoring.coreos.com_prometheusrules.yaml")


def crd_schema_dir() -> Path:
    """kubeconform schemas made from the Prometheus Operator's CRDs, as
    `<group>/<kind>_<version>.json` (strict: no field the CRD does not define).

    The CRDs come from the pinned Go module (`go mod download`), made once, atomically.
    """
    def write(staging: Path) -> None:
        crd_dir = tools.go_module_dir(PROMETHEUS_OPERATOR_MODULE, PROMETHEUS_OPERATOR_VERSION) / \
            "example" / "prometheus-operator-crd"
        _write_crd_schemas(staging, [crd_dir / name for name in PROMETHEUS_OPERATOR_CRDS])

    return _made_once(tools.cache_dir() / "crd-schemas" / f"prometheus-operator-{PROMETHEUS_OPERATOR_VERSION}",
                      write)


def _write_crd_schemas(folder: Path, crd_files: list[Path]) -> None:
    """kubeconform schemas of every served version of the CRDs, as `<folder>/<group>/<kind>_<version>.json`."""
    for path in crd_files:
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"].lower()
        (folder / group).mkdir(exist_ok=True)
        for version in crd["spec"]["versions"]:
            schema = kubeconform_schema(version["schema"]["openAPIV3Schema"])
            (folder / group / f"{kind}_{version['name']}.json").write_text(json.dumps(schema), encoding="utf-8")


def crd_schema_location() -> str:
    """The `-schema-location` template for `crd_schema_dir()`."""
    return str(crd_schema_dir() / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")


# --- cert-manager CRD schemas for kubeconform -----------------------------------------------

CERT_MANAGER_MODULE = "github.com/cert-manager/cert-manager"
CERT_MANAGER_VERSION = "v1.21.2"
# The Certificates the certificates and users Jobs apply (a chart ships them as data).
CERT_MANAGER_CRDS = ("deploy/crds/cert-manager.io_certificates.yaml",)


def cert_manager_schema_dir() -> Path:
    """kubeconform schemas made from cert-manager's CRDs, laid out as `crd_schema_dir()`'s."""
    def write(staging: Path) -> None:
        module_dir = tools.go_module_dir(CERT_MANAGER_MODULE, CERT_MANAGER_VERSION)
        _write_crd_schemas(staging, [module_dir / name for name in CERT_MANAGER_CRDS])

    return _made_once(tools.cache_dir() / "crd-schemas" / f"cert-manager-{CERT_MANAGER_VERSION}", write)


def cert_manager_schema_location() -> str:
    """The `-schema-location` template for `cert_manager_schema_dir()`."""
    return str(cert_manager_schema_dir() / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")


def prepare_all(log: Callable[[str], None] = _silent) -> None:
    """Every schema verify may need, made now rather than at a first verify."""
    for kube_version in tools.DEFAULT_KUBE_VERSIONS:
        log(f"Kubernetes {kube_version} schemas: {kube_schema_dir(kube_version)}")
    log(f"Kubernetes {', '.join(tools.DEFAULT_KUBE_VERSIONS)} schemas conjoined: "
        f"{conjoined_schema_dir(tools.DEFAULT_KUBE_VERSIONS)}")
    log(f"OpenShift schemas: {openshift_schema_dir(log)}")
    log(f"Prometheus Operator {PROMETHEUS_OPERATOR_VERSION} schemas: {crd_schema_dir()}")
    log(f"cert-manager {CERT_MANAGER_VERSION} schemas: {cert_manager_schema_dir()}")
