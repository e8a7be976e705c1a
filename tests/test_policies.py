"""The policy library itself: OPA's own tests, strict checks and formatting, and its documentation.

`opa test`, `opa check --strict` and `opa fmt` run with the pinned OPA. Every
rule has a `# METADATA` block (title, rationale, sources, id), a `_test.rego`
beside it, a severity per profile in policies/data.json, and a row in the
table of policies/README.md, which `pytest --update-golden` rewrites.
"""

import json
import re
from pathlib import Path

import pytest

from compiler import policy, tools
from compiler.check_options import PROFILES
from compiler.project_files import POLICIES

README = POLICIES / "README.md"
TABLE_START = "<!-- rules: generated from the METADATA blocks by `pytest tests/test_policies.py --update-golden` -->"
TABLE_END = "<!-- end of rules -->"


@pytest.mark.tools
def test_opa_test_passes(installed_tools):
    done = tools.run("opa", "test", str(POLICIES), "-v", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"PASS: \d+/\d+", done.stdout), done.stdout


@pytest.mark.tools
def test_opa_check_strict_is_clean(installed_tools):
    done = tools.run("opa", "check", "--strict", str(POLICIES), check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.tools
def test_opa_fmt_is_clean(installed_tools):
    done = tools.run("opa", "fmt", "--list", "--fail", str(POLICIES), check=False)
    assert done.returncode == 0, "not formatted (run `opa fmt -w policies/`):\n" + done.stdout


def _severities() -> dict:
    return json.loads((POLICIES / "data.json").read_text())["kafkac"]["severity"]


def test_every_rule_is_documented_tested_and_has_a_severity_per_profile():
    rules = policy.rules()
    assert len(rules) >= 26
    assert set(rules) == set(_severities()), "policies/data.json and the rules' ids differ"
    for rule in rules.values():
        module = Path(rule.file)
        area, name = rule.id.split(".", 1)
        assert module.as_posix() == f"policies/{area}/{name.replace('-', '_')}.rego", rule
        assert (policy.ROOT / module.with_name(module.stem + "_test.rego")).is_file(), rule
        assert f"package kafkac.rules.{area}.{name.replace('-', '_')}\n" in (policy.ROOT / module).read_text()
        assert rule.title and len(rule.description) > 80, rule
        assert rule.sources and all(url.startswith("https://") for url, _ in rule.sources), rule
        assert set(_severities()[rule.id]) == set(PROFILES)
        assert set(_severities()[rule.id].values()) <= {"deny", "warn", "info"}


def rule_table() -> str:
    rows = ["| id | dev | prod | checks | source |", "|---|---|---|---|---|"]
    severity = _severities()
    for rule in sorted(policy.rules().values(), key=lambda r: r.id):
        sources = ", ".join(f"[{text}]({url})" for url, text in rule.sources)
        rows.append(f"| `{rule.id}` | {severity[rule.id]['dev']} | {severity[rule.id]['prod']} | "
                    f"{rule.title} ({rule.input}) | {sources} |")
    return "\n".join(rows)


def test_readme_lists_every_rule(update_golden):
    text = README.read_text()
    assert TABLE_START in text and TABLE_END in text
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    current = f"{head}{TABLE_START}\n{rule_table()}\n{TABLE_END}{tail}"
    if update_golden:
        README.write_text(current)
        return
    assert text == current, ("policies/README.md's rule table is out of date; rewrite it with: "
                             "python -m pytest tests/test_policies.py --update-golden")
