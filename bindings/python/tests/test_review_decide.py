"""`review` (AdmissionReview v1) and `decide` (rollouts), against the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import assay
from conftest import REPO

ADMISSION = sorted((REPO / "examples" / "admission").glob("*.json"))


def test_there_are_admission_examples() -> None:
    assert len(ADMISSION) >= 2


@pytest.mark.parametrize("path", ADMISSION, ids=lambda p: p.name)
def test_review_answers_as_the_cli(cli: Path, library: assay.Policy, path: Path) -> None:
    out = subprocess.run([str(cli), "review", "-p", "policies", str(path)], cwd=REPO,
                         capture_output=True, text=True)
    expected = json.loads(out.stdout)
    review = json.loads(path.read_text())
    assert library.review(review) == expected
    assert library.review(path.read_text()) == expected
    assert library.review(path.read_bytes()) == expected
    assert library.review(bytearray(path.read_bytes())) == expected
    response = expected["response"]
    assert response["uid"] == review["request"]["uid"]
    assert (out.returncode == 0) == response["allowed"]


def test_a_review_that_cannot_be_answered_is_an_input_error(library: assay.Policy) -> None:
    with pytest.raises(assay.InputError) as e:
        library.review({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})
    assert e.value.hint and "AdmissionReview" in e.value.hint
    with pytest.raises(assay.InputError) as e:
        library.review("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: [\n", file="r.yaml")
    assert (e.value.file, e.value.line) == ("r.yaml", 4)


def test_decide_as_the_cli(cli: Path, library: assay.Policy) -> None:
    path = "examples/rollout/fraud-v2-production.json"
    out = subprocess.run([str(cli), "decide", "-p", "policies", "--policy-name", "fraud-v2-canary",
                          "--env", "production", "-o", "json", path], cwd=REPO, capture_output=True, text=True)
    expected = json.loads(out.stdout)
    data = json.loads(Path(path).read_text())
    decision = library.decide(data["state"], data["metrics"], env="production", policy="fraud-v2-canary")
    assert decision.to_dict() == expected
    assert (decision.decision, decision.weight, decision.state, decision.policy, decision.env) == (
        expected["decision"], expected["weight"], expected["state"], "fraud-v2-canary", "production")
    assert decision.checks == expected["checks"] and decision.reason == expected["reason"]
    assert json.loads(decision.to_json()) == expected


def test_decide_errors(library: assay.Policy) -> None:
    with pytest.raises(assay.InputError, match="name one"):
        library.decide({"weight": 10}, {"baseline": {}, "candidate": {}})
    only = assay.load("policies/fraud-v2-canary.yaml")
    with pytest.raises(assay.InputError) as e:
        only.decide({"weight": "ten"}, {"baseline": {}, "candidate": {}})
    assert e.value.hint
    with pytest.raises(assay.InputError, match="no rollout policy"):
        assay.load("policies/app-config.yaml").decide({"weight": 1}, {})


@pytest.mark.parametrize("not_a_number", [float("nan"), float("inf"), float("-inf")])
def test_decide_reads_nan_and_infinity_as_no_data(library: assay.Policy, not_a_number: float) -> None:
    # As JS does (JSON.stringify makes them null): every host decides the same.
    data = json.loads((REPO / "examples/rollout/fraud-v2-production.json").read_text())
    metrics = data["metrics"]
    metrics["candidate"]["error_rate"] = not_a_number
    metrics["candidate"]["samples"]["precision"][0] = not_a_number
    decision = library.decide(data["state"], metrics, env="production", policy="fraud-v2-canary")
    metrics["candidate"]["error_rate"] = None
    metrics["candidate"]["samples"]["precision"][0] = None
    as_null = library.decide(data["state"], metrics, env="production", policy="fraud-v2-canary")
    assert decision.to_dict() == as_null.to_dict()
    assert decision.decision == "hold"
    results = {c["name"]: c["result"] for c in decision.checks}
    assert results["error-rate"] == results["error-rate-vs-baseline"] == "nodata"
    with pytest.raises(assay.InputError, match="NaN or infinity"):
        library.validate({"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": not_a_number}})


def test_decide_takes_numpy_metrics(library: assay.Policy) -> None:
    np = pytest.importorskip("numpy")
    data = json.loads((REPO / "examples/rollout/fraud-v2-production.json").read_text())
    metrics = data["metrics"]
    expected = library.decide(data["state"], metrics, env="production", policy="fraud-v2-canary")
    for side in ("baseline", "candidate"):
        m = metrics[side]
        m["requests"] = np.int64(m["requests"])
        m["error_rate"] = np.float32(m["error_rate"])
        m["latency_p99_ms"] = np.float64(m["latency_p99_ms"])
        m["samples"]["precision"] = np.array(m["samples"]["precision"])
    decision = library.decide(data["state"], metrics, env="production", policy="fraud-v2-canary")
    # float32 rounds 0.006 to 0.006000000052154064: the same verdicts, values within float32's precision.
    assert decision.decision == expected.decision
    assert [(c["name"], c["result"]) for c in decision.checks] == [(c["name"], c["result"]) for c in expected.checks]
    metrics["candidate"]["error_rate"] = np.float64("nan")
    assert next(c for c in library.decide(data["state"], metrics, env="production", policy="fraud-v2-canary").checks
                if c["name"] == "error-rate")["result"] == "nodata"
    with pytest.raises(assay.InputError, match="NaN or infinity"):
        library.validate({"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": np.float64("inf")}})
