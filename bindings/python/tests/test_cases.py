"""Every case of the built-in library and of the engine's case files, through
the Python API and through core's JSON call API: the same answers. The
cases' expected verdicts and decisions are checked too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import assay
from conftest import case_files


def cases() -> list[Any]:
    out = []
    for case_file, policy_file in case_files():
        data = assay.parse(Path(case_file).read_text(), str(case_file))[0]
        for case in data["cases"]:
            out.append(pytest.param(policy_file, data.get("policy"), case,
                                    id=f"{case_file.name}:{case['name']}"))
    return out


_loaded: dict[Any, assay.Policy] = {}


def policy_for(policy_file: Path | None) -> assay.Policy:
    if policy_file not in _loaded:
        _loaded[policy_file] = assay.load(policy_file or "policies")
    return _loaded[policy_file]


def raw_call(policy: assay.Policy, request: dict) -> dict:
    return json.loads(policy.call(json.dumps(request)))


@pytest.mark.parametrize("policy_file, policy_name, case", cases())
def test_case(policy_file: Path | None, policy_name: str | None, case: dict) -> None:
    # A case's `limits` are its policy's, and go with its raw calls too.
    limits = case.get("limits")
    policy = policy_for(policy_file) if limits is None else assay.load(policy_file or "policies", limits=limits)
    call = (lambda p, request: raw_call(p, {**request, "limits": limits})) if limits else raw_call
    env = case.get("env", "")
    expect = case["expect"]
    if "input" in case:
        report = policy.validate(case["input"], env=env, old=case.get("old"))
        answer = call(policy, {"call": "check", "input": case["input"], "env": env, "old": case.get("old")})
        assert report.to_dict() == answer["report"]
        if expect.get("verdict"):
            # As core's case runner: a document's own failures (parse, limit) count too.
            relevant = [r for r in report.results if r.policy is None or policy_name in (None, r.policy)]
            verdicts = {r.verdict for r in relevant} or {"pass"}
            worst = max(verdicts, key=["pass", "warn", "fail"].index)
            assert worst == expect["verdict"]
    elif "rollout" in case:
        rollout = case["rollout"]
        env = env or rollout.get("env")
        answer = call(policy, {"call": "decide", "input": rollout, "env": env or None, "policy": policy_name})
        if "error" in answer:
            with pytest.raises(assay.InputError) as e:
                policy.decide(rollout.get("state"), rollout.get("metrics"), env=env or None, policy=policy_name)
            assert e.value.message == answer["error"]["message"]
            return
        decision = policy.decide(rollout["state"], rollout["metrics"], env=env or None, policy=policy_name)
        assert decision.to_dict() == answer["decision"]
        assert decision.decision == expect.get("decision", decision.decision)
        if "weight" in expect:
            assert decision.weight == expect["weight"]
        if "failedChecks" in expect:
            assert decision.state.get("failedChecks", 0) == expect["failedChecks"]
    else:
        review = case["review"]
        answer = call(policy, {"call": "review", "review": review, "env": env})
        if "error" in answer:
            with pytest.raises(assay.InputError):
                policy.review(review, env=env)
            return
        response = policy.review(review, env=env)
        assert response == answer["review"]
        if "allowed" in expect:
            assert response["response"]["allowed"] is expect["allowed"]
