"""Strimzi's own examples as a measuring stick.

Every file among Strimzi's examples that defines a Kafka cluster either
compiles, or is refused with clean, positioned errors that name the field.
The count that compile is printed, so progress is visible in every run.
"""

from pathlib import Path

import pytest

from compiler.check_options import CheckOptions
from compiler.load import load
from compiler.pipeline import Options, read_specs, compile_specs

from .conftest import STRIMZI_CORPUS, require_strimzi_corpus

EXAMPLES = STRIMZI_CORPUS / "examples"


def kafka_cluster_files() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    return sorted(p for p in EXAMPLES.rglob("*.yaml")
                  if any(d.kind == "Kafka" for d in load([p]).documents))


FILES = kafka_cluster_files()
# Examples that must keep compiling, so that a supported feature cannot regress unseen.
MUST_COMPILE = {"security/tls-auth/kafka.yaml", "security/scram-sha-512-auth/kafka.yaml",
                "metrics/kafka-metrics.yaml", "metrics/strimzi-metrics-reporter/kafka-metrics.yaml"}


@pytest.mark.tools
def test_every_kafka_example_compiles_or_is_refused_cleanly(tmp_path, installed_tools, capsys):
    require_strimzi_corpus()
    assert FILES, f"no file under {EXAMPLES} defines a Kafka"
    compiled, refused = [], []
    for spec in FILES:
        model, findings = read_specs([spec])
        for finding in findings:
            assert finding.span.file == str(spec), finding
            assert finding.span.line > 0 and finding.span.col > 0, finding
            assert finding.message and finding.rule, finding
        if model is None:
            errors = [f for f in findings if f.is_error]
            first = errors[0]
            more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
            refused.append(f"{spec.relative_to(EXAMPLES)}:{first.span.line}:{first.span.col} "
                           f"[{first.rule}] {first.message}{more}")
            continue
        # Strimzi's examples are not production clusters: the dev profile, where the policies warn.
        result = compile_specs(Options((str(spec),), tmp_path / spec.stem,
                                       check=CheckOptions(profile="dev")))
        assert result.ok, [f"{f.span} {f.rule} {f.message}" for f in result.findings]
        compiled.append(str(spec.relative_to(EXAMPLES)))
    with capsys.disabled():
        print(f"\nStrimzi examples: {len(compiled)} of {len(FILES)} Kafka cluster files compile")
        for name in compiled:
            print(f"  compiled  {name}")
        for line in refused:
            print(f"  refused   {line}")
    assert len(compiled) + len(refused) == len(FILES)
    assert MUST_COMPILE <= set(compiled), "\n".join(refused)
