"""Policies are shared between threads; evaluation releases the interpreter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import assay
from conftest import example_manifests


def test_concurrent_validation_gives_the_same_reports(library: assay.Policy, module: assay.Policy) -> None:
    targets = example_manifests() * 8
    expected = {t: library.validate(t).to_dict() for t in example_manifests()}
    for policy in (library, module):
        with ThreadPoolExecutor(max_workers=8) as pool:
            reports = list(pool.map(lambda t: (t, policy.validate(t).to_dict()), targets))
        for target, report in reports:
            assert report == expected[target], target


def test_concurrent_decisions(library: assay.Policy) -> None:
    import json
    data = json.loads(Path("examples/rollout/fraud-v2-production.json").read_text())

    def decide(_: int) -> dict:
        return library.decide(data["state"], data["metrics"], env="production",
                              policy="fraud-v2-canary").to_dict()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(decide, range(32)))
    assert all(r == results[0] for r in results)
