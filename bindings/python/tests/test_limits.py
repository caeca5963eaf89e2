"""`limits={...}` (docs/limits.md, "Configuring limits"): given when policies
load, they are what `validate`, `review` and a module's calls run within;
going over one is a `limit` finding and the other documents are still
checked; a limit that sets nothing raises `assay.LimitError`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assay
from conftest import run_cli

UNIQUE = """apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: unique}
spec:
  rules:
    - name: unique
      when: has(object.l)
      expr: object.l.all(c, object.l.exists_one(d, d == c))
      path: /l
"""

LIST = {"l": list(range(40))}
STREAM = "a: 1\n---\nb: 2\n---\nc: 3\n"


def findings(report: assay.Report) -> list[assay.Finding]:
    return report.findings


def test_the_defaults_by_name() -> None:
    limits = assay.Policy.from_yaml(UNIQUE).limits
    assert limits == {
        "depth": 128,
        "values": 1_000_000,
        "document-bytes": 64 << 20,
        "documents": 100_000,
        "cel-cost": 10_000_000,
        "file-bytes": 64 << 20,
        "run-bytes": 1 << 30,
        "module-time": 10.0,
        "module-memory": 512 << 20,
    }


def test_a_lowered_cel_cost_and_documents_limit_are_findings_naming_them() -> None:
    policy = assay.Policy.from_yaml(UNIQUE, limits={"cel_cost": 500, "documents": "2"})
    assert policy.limits["cel-cost"] == 500 and policy.limits["documents"] == 2
    [stopped] = findings(policy.validate(LIST))
    assert stopped.rule == "unique" and stopped.severity == "error"
    assert "CEL cost budget of 500 (limit `cel-cost`" in stopped.message
    assert assay.Policy.from_yaml(UNIQUE).validate(LIST).ok
    [past] = findings(policy.validate(STREAM, file="s.yaml"))
    assert (past.rule, past.line, past.document, past.file) == ("limit", 5, 2, "s.yaml")
    assert past.message.startswith(
        "more than 2 documents in this stream; this one and the rest are not checked "
        "(limit `documents`; raise it with `--limit documents=…`"
    )
    # A list of documents is a stream too.
    [past] = findings(policy.validate([{"a": 1}, {"b": 2}, {"c": 3}]))
    assert past.rule == "limit" and past.document == 2
    # A review's rules run within its cost.
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"uid": "u", "object": LIST}}
    assert policy.review(review)["response"]["allowed"] is False


def test_parse_limits_and_the_next_document_is_still_checked(tmp_path: Path) -> None:
    library = assay.load("policies", limits={"depth": 3})
    text = ("a: {b: {c: {d: 1}}}\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: {LOG_LEVEL: TRACE}\n")
    report = library.validate(text)
    rules = [f.rule for f in report.findings]
    assert rules[0] == "limit" and "schema" in rules, rules
    assert "nesting deeper than 3 levels (limit `depth`" in report.findings[0].message
    assert assay.load("policies").validate(text).findings[0].rule != "limit"
    # Files are read within `file-bytes`.
    big = tmp_path / "big.yaml"
    big.write_text(text)
    small = assay.load("policies", limits={"file-bytes": "64B"})
    with pytest.raises(assay.InputError) as e:
        small.validate(big)
    assert "(limit `file-bytes`;" in str(e.value)


def test_the_same_findings_as_the_cli_with_the_same_limits(cli: Path, tmp_path: Path) -> None:
    stream = tmp_path / "s.yaml"
    stream.write_text("a: {b: {c: {d: 1}}}\n---\nx: 1\n---\ny: 2\n---\nz: 3\n")
    limits = {"depth": 3, "documents": 3}
    native = assay.load("policies", limits=limits).validate(stream).to_dict()
    args = ["check", "-o", "json", "--limit", "depth=3", "--limit", "documents=3", str(stream)]
    assert native == json.loads(run_cli(cli, *args).stdout)


def test_a_module_runs_within_its_limits(module_path: Path) -> None:
    module = assay.load(module_path, limits={"module_time": "500ms", "documents": 1})
    assert module.limits["module-time"] == 0.5
    [past] = module.validate(STREAM).findings
    assert past.rule == "limit" and "limit `documents`" in past.message
    many = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ml-pipeline-config-{i}}}\ndata: {{LOG_LEVEL: INFO}}\n"
        for i in range(90_000)
    )
    slow = assay.load(module_path, limits={"module-time": 0.5})
    [stopped] = slow.validate(many).findings
    assert stopped.rule == "limit"
    assert "time limit (500ms)" in stopped.message and "limit `module-time`" in stopped.message


@pytest.mark.parametrize("limits, says", [
    ({"cpu": 1}, "unknown limit `cpu`; the limits are depth, values, document-bytes, documents, cel-cost"),
    ({"depth": 5000}, "above its ceiling of 1000"),
    ({"documents": "lots"}, "limit `documents`: `lots` is not a whole number"),
    ({"documents": 0}, "must be at least 1"),
    ({"module-time": True}, "`true` is not a time"),
    ({"file-bytes": 1.5}, "is not a size"),
])
def test_a_limit_that_sets_nothing_raises_limit_error(limits: dict, says: str) -> None:
    for make in (lambda: assay.Policy.from_yaml(UNIQUE, limits=limits),
                 lambda: assay.Policy.defaults(limits=limits),
                 lambda: assay.load("policies", limits=limits)):
        with pytest.raises(assay.LimitError) as e:
            make()
        assert says in str(e.value)
        assert isinstance(e.value, assay.AssayError) and isinstance(e.value, ValueError)
        assert e.value.limit is not None and "docs/limits.md" in (e.value.hint or "")


def test_limits_that_are_not_a_dict_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        assay.Policy.from_yaml(UNIQUE, limits=[("documents", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        assay.Policy.from_yaml(UNIQUE, limits={1: 2})  # type: ignore[dict-item]
