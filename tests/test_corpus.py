"""Specs nobody here wrote, compiled as a new user would: every input of the real-world corpus
(../shared/corpus/wild/, grouped as a user gives them: a Kafka with its pools, ConfigMaps,
topics and users) and of Strimzi's examples (../shared/corpus/strimzi/examples/).

tests/corpus/expected.yaml holds each input's files and the outcome it must have with
kafkac's defaults (no profile chosen):

    expect: compiles            a chart is written (findings may warn; other kinds are skipped)
    expect: unsupported         refused for a named, documented feature kafkac does not have yet
      rule: <rule id>           ... the finding that names it
      feature: <what>
    expect: invalid             refused because the spec is wrong, also for Strimzi
      rule: <rule id>
      why: <what is wrong>
    expect: no-kafka            only kinds kafkac skips (Bridge, dashboards, ...): no chart
    verify: true                compile with helm lint, helm template and kubeconform too

Every YAML file of both corpora must belong to an input, so a file added to them fails
here until its outcome is recorded. The tally is printed; README.md states it.
"""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest
import yaml

from compiler.check_options import REPORT_ONLY, CheckOptions
from compiler.pipeline import Options, read_specs, compile_specs

from .conftest import ROOT, STRIMZI_CORPUS, require_corpus

WILD_CORPUS = Path(os.environ.get("KAFKAC_WILD_CORPUS", ROOT.parent / "shared" / "corpus" / "wild"))
EXPECTED = yaml.safe_load((ROOT / "tests" / "corpus" / "expected.yaml").read_text(encoding="utf-8"))
ROOTS = {"wild": WILD_CORPUS, "strimzi": STRIMZI_CORPUS / "examples"}
OUTCOMES = ("compiles", "unsupported", "invalid", "no-kafka")


def _require(root: Path) -> None:
    require_corpus(root, "set KAFKAC_WILD_CORPUS / KAFKAC_STRIMZI_CORPUS to a copy of ../shared/corpus")


def _cases() -> list:
    return [pytest.param(corpus, case, id=f"{corpus}:{case['input']}")
            for corpus in ROOTS for case in EXPECTED[corpus]]


def test_every_corpus_file_belongs_to_an_input_with_a_recorded_outcome():
    for corpus, root in ROOTS.items():
        _require(root)
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.suffix in (".yaml", ".yml") and p.is_file()}
        listed = [f for case in EXPECTED[corpus] for f in case["files"]]
        assert sorted(set(listed) - on_disk) == [], f"{corpus}: listed but not in {root}"
        assert sorted(on_disk - set(listed)) == [], f"{corpus}: files without an input in expected.yaml"
        for case in EXPECTED[corpus]:
            assert case["expect"] in OUTCOMES, case
            if case["expect"] in ("unsupported", "invalid"):
                assert case.get("rule") and (case.get("feature") or case.get("why")), case


def outcome(root: Path, case: dict, out: Path) -> tuple[str, list]:
    """What kafkac does with the input by default: the outcome and the error findings."""
    paths = tuple(str(root / f) for f in case["files"])
    model, findings = read_specs(paths)
    for finding in findings:
        assert finding.span.line > 0 and finding.span.col > 0 and finding.message, finding
    if model is None:
        return "refused", [f for f in findings if f.is_error]
    if not model.clusters and not model.connects:
        return "no-kafka", []
    result = compile_specs(Options(paths, out, verify=bool(case.get("verify")),
                                   check=CheckOptions(unchosen=REPORT_ONLY)))
    errors = [f for f in result.findings if f.is_error]
    return ("compiles" if result.ok else "refused"), errors


TALLY: dict[str, collections.Counter] = {corpus: collections.Counter() for corpus in ROOTS}


@pytest.mark.tools
@pytest.mark.parametrize("corpus, case", _cases())
def test_corpus_input_has_its_recorded_outcome(corpus, case, tmp_path):
    root = ROOTS[corpus]
    _require(root)
    got, errors = outcome(root, case, tmp_path / "out")
    shown = "\n".join(f"{f.span}: [{f.rule}] {f.message}" for f in errors)
    if case["expect"] in ("compiles", "no-kafka"):
        assert got == case["expect"], f"{case['input']}: {got}\n{shown}"
    else:
        assert got == "refused", f"{case['input']}: {got}, expected refused by {case['rule']}"
        assert case["rule"] in {f.rule for f in errors}, f"{case['input']}: refused by\n{shown}"
    TALLY[corpus][case["expect"]] += 1


def tally_line() -> str:
    return "; ".join(f"{corpus}: " + ", ".join(f"{TALLY[corpus][o]} {o}" for o in OUTCOMES)
                     for corpus in ROOTS)


def test_the_tally_is_printed(capsys):
    """Runs after the inputs (pytest keeps the order of a module): the tally of those that ran."""
    if any(TALLY.values()):
        with capsys.disabled():
            print(f"\ncorpus tally with kafkac's defaults: {tally_line()}")
