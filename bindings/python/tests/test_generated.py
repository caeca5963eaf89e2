"""Generated cases through the package and through the CLI: the same
answers as native evaluation.

The corpus is drawn with a fixed seed by the tests crate's
`examples/gen_differential.rs` from the strategies of `tests/src/generated/`
(policies from a grammar of schema fragments and CEL rules, some broken;
Kubernetes-like documents as YAML, JSON or dotenv text; environments;
previous versions) and holds native evaluation's answers to each case: the
input as text, its one document as a value, the previous versions as
values, and the AdmissionReview of its first document. Python answers each
(`validate` of text, of a dict and with old dicts, `review`, policy errors),
and so does the CLI (`assay check -o json`, `assay review`, exit codes and
the errors it prints). `make test-python` writes the corpus and passes its
path as `ASSAY_DIFF_CORPUS`; without that, the tests look for
`target/differential-corpus.json` and are skipped when it is not there.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

import assay
from assay import _assay
from conftest import REPO


def corpus_path() -> Path | None:
    given = os.environ.get("ASSAY_DIFF_CORPUS")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    default = target / "differential-corpus.json"
    return default if default.exists() else None


def load_cases() -> list[Any]:
    path = corpus_path()
    if path is None:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason="no generated corpus: `make test-python` writes it "
                   "(cargo run -p assay-tests --example gen_differential -- target/differential-corpus.json)"))]
    # Missing when ASSAY_DIFF_CORPUS names it is a failure, not a skip.
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(c, id=c["name"]) for c in cases]


CASES = load_cases()


def problems(errors: Any) -> list[dict]:
    """Policy problems as the native error answer lists them."""
    out = []
    for p in errors:
        if isinstance(p, dict):
            out.append({k: p.get(k) for k in ("file", "line", "column", "message", "rule", "hint")})
        else:
            out.append({k: getattr(p, k) for k in ("file", "line", "column", "message", "rule", "hint")})
    return out


def printed(errors: list[dict]) -> str:
    """The problems as the CLI prints them (and `str(PolicyError)` says them)."""
    return "\n".join(f"{e['file']}:{e['line']}:{e['column']}: {e['message']}"
                     + (f" (hint: {e['hint']})" if e.get("hint") else "") for e in errors)


def as_text(text: str) -> str | bytes:
    # A one-line str that looks like a path is refused as one (docs/python.md);
    # bytes are always text.
    return text if "\n" in text.rstrip("\n") else text.encode()


IN_PLACE = {"before": _assay._passed_in_place(), "values": 0}


@pytest.mark.parametrize("case", CASES)
def test_python_answers_as_native(case: dict) -> None:
    expected = case["expected"]
    policy_file = case["policy"]["file"]
    if "error" in expected:
        with pytest.raises(assay.PolicyError) as e:
            assay.Policy.from_yaml(case["policy"]["text"], file=policy_file)
        assert problems(e.value.errors) == problems(expected["error"]["errors"])
        assert str(e.value) == printed(expected["error"]["errors"])
        return
    policy = assay.Policy.from_yaml(case["policy"]["text"], file=policy_file)
    env = case["env"] or None
    report = policy.validate(as_text(case["input"]["text"]), env=env, old=case["old"],
                             file=case["input"]["file"])
    assert report.to_dict() == expected["report"]
    # One document as a dict: converted directly, or read in place.
    if isinstance(case.get("value"), dict):
        report = policy.validate(case["value"], env=env, old=case["old"])
        assert report.to_dict() == case["expectedValue"]["report"]
        IN_PLACE["values"] += 1
    # The previous versions as dicts rather than text.
    if case.get("oldValues") is not None:
        report = policy.validate(as_text(case["input"]["text"]), env=env, old=case["oldValues"],
                                 file=case["input"]["file"])
        assert report.to_dict() == case["expectedOldValues"]["report"]


@pytest.mark.parametrize("case", [c for c in CASES if c.values and c.values[0] and "review" in c.values[0]
                                  and "error" not in c.values[0]["expected"]])
def test_python_reviews_as_native(case: dict) -> None:
    expected = case["expectedReview"]
    policy = assay.Policy.from_yaml(case["policy"]["text"], file=case["policy"]["file"])
    review = case["review"]
    if "error" in expected:
        with pytest.raises(assay.InputError) as e:
            policy.review(review["text"], env=case["env"] or None, file=review["file"])
        assert e.value.message == expected["error"]["message"]
        return
    assert policy.review(review["text"], env=case["env"] or None, file=review["file"]) == expected["review"]


def test_some_dicts_were_checked_in_place() -> None:
    """The corpus reaches the path that checks a dict where it is (after the cases above)."""
    if IN_PLACE["values"]:
        assert _assay._passed_in_place() > IN_PLACE["before"]


POLICY = """\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: deep}
spec: {schema: {jsonSchema: {type: object}}}
"""


def nested(depth: int) -> dict:
    doc: Any = "leaf"
    for _ in range(depth):
        doc = {"a": doc}
    return doc


@pytest.mark.parametrize("depth", [100, 126, 127, 128, 129, 200, 256, 300])
def test_deep_values_are_answered_alike(depth: int) -> None:
    """A document given as a value is answered alike by `validate(dict)` and
    the call API (what modules and the JS package answer with), and as its
    text is: deeper than the `depth` limit (128 by default) is a `limit`
    finding. Found by the generated cases: the call API refused a value
    nested 127 levels or more (serde_json's limit on the request), and
    `validate(dict)` checked values up to 256 levels."""
    policy = assay.Policy.from_yaml(POLICY, file="deep.yaml")
    doc = nested(depth)
    answer = json.loads(policy.call(json.dumps({"call": "check", "input": doc})))
    assert "report" in answer, answer
    ours = policy.validate(doc).to_dict()
    assert ours == answer["report"]

    def rules(report: dict) -> list:
        return [f["rule"] for r in report["results"] for f in r["findings"]]

    assert rules(ours) == (["limit"] if depth > 128 else [])
    # As text (YAML's parser refuses flow collections nested deeper than
    # about 250 levels itself, a `parse` finding: docs/limits.md).
    if depth < 250:
        assert rules(policy.validate(json.dumps(doc)).to_dict()) == rules(ours)


@pytest.mark.parametrize("case", CASES)
def test_cli_answers_as_native(case: dict, cli: Path, tmp_path: Path) -> None:
    expected = case["expected"]
    (tmp_path / case["policy"]["file"]).write_text(case["policy"]["text"], encoding="utf-8")
    (tmp_path / case["input"]["file"]).write_text(case["input"]["text"], encoding="utf-8")
    args = [str(cli), "check", "-o", "json", "-p", case["policy"]["file"]]
    if case["env"]:
        args += ["--env", case["env"]]
    if case["old"] is not None:
        (tmp_path / case["oldFile"]).write_text(case["old"], encoding="utf-8")
        args += ["--old", case["oldFile"]]
    args.append(case["input"]["file"])
    run = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    if "error" in expected:
        assert run.returncode == 2, run.stdout
        assert run.stderr.strip() == printed(expected["error"]["errors"])
        return
    assert run.returncode in (0, 1), run.stderr
    assert json.loads(run.stdout) == expected["report"]
    assert run.returncode == (1 if expected["report"]["verdict"] == "fail" else 0)
    if "review" not in case:
        return
    # `assay review` on the AdmissionReview of the first document.
    expected = case["expectedReview"]
    (tmp_path / case["review"]["file"]).write_text(case["review"]["text"], encoding="utf-8")
    args = [str(cli), "review", "-p", case["policy"]["file"]]
    if case["env"]:
        args += ["--env", case["env"]]
    run = subprocess.run([*args, case["review"]["file"]], cwd=tmp_path, capture_output=True, text=True)
    if "error" in expected:
        assert run.returncode == 2, run.stdout
        assert expected["error"]["message"] in run.stderr
        return
    assert json.loads(run.stdout) == expected["review"], run.stderr
    assert run.returncode == (0 if expected["review"]["response"]["allowed"] else 1)
