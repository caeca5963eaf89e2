"""A compiled `.wasm` module (assay build) gives what native evaluation gives."""

from __future__ import annotations

import json
from pathlib import Path

import assay
from conftest import example_manifests, run_cli

ADMISSION = sorted(Path("examples/admission").glob("*.json")) if Path("examples/admission").exists() else []


def test_module_metadata(module: assay.Policy, library: assay.Policy) -> None:
    assert module.is_module and "module" in repr(module)
    names = lambda p: sorted((d["name"], d["kind"], d.get("environments", [])) for d in p.describe())  # noqa: E731
    assert names(module) == names(library)


def test_same_reports_as_native_and_as_the_cli(cli: Path, module_path: Path, module: assay.Policy,
                                               library: assay.Policy) -> None:
    for target in example_manifests():
        for env in (None, "production"):
            native = library.validate(target, env=env).to_dict()
            assert module.validate(target, env=env).to_dict() == native, (target, env)
        args = ["check", "-p", str(module_path), "-o", "json", str(target)]
        assert module.validate(target).to_dict() == json.loads(run_cli(cli, *args).stdout)
    # documents given as values: one call each, numbered as a stream
    docs = assay.parse(Path("examples/k8s/ml-inference-secrets.yaml").read_text())
    assert module.validate(docs).to_dict() == library.validate(docs).to_dict()


def test_same_decisions_and_reviews(module: assay.Policy, library: assay.Policy) -> None:
    rollout = json.loads(Path("examples/rollout/fraud-v2-production.json").read_text())
    for policy in (module, library):
        decision = policy.decide(rollout["state"], rollout["metrics"], env="production",
                                 policy="fraud-v2-canary")
        assert decision.decision in ("promote", "advance", "hold", "rollback")
    args = (rollout["state"], rollout["metrics"])
    assert (module.decide(*args, env="production", policy="fraud-v2-canary").to_dict()
            == library.decide(*args, env="production", policy="fraud-v2-canary").to_dict())
    for path in ADMISSION:
        review = json.loads(path.read_text())
        assert module.review(review) == library.review(review)


def test_module_errors_are_exceptions(module: assay.Policy) -> None:
    try:
        module.decide({"weight": 10}, {}, policy="no-such-policy")
    except assay.InputError as e:
        assert "no-such-policy" in str(e)
    else:
        raise AssertionError("no error")
