"""Schema-only policies check a dict where it is (`in_place.rs`): every
answer must equal the full path's. A list of documents always takes the
full path, so `validate([doc])` is the reference for `validate(doc)`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import assay
from assay import _assay
from conftest import REPO, example_manifests


def schema_only_policies() -> list[tuple[str, assay.Policy]]:
    """Each schema of the library and the test cases, as a policy with that
    schema (without coercion) and its match, and nothing else."""
    files = sorted((REPO / "policies").glob("*.yaml")) + sorted((REPO / "tests" / "cases").glob("*.policy.yaml"))
    out = []
    for f in files:
        for doc in assay.parse(f.read_text(), str(f)):
            spec = doc.get("spec", {})
            if doc.get("kind") != "ValidationPolicy" or "schema" not in spec:
                continue
            schema = {k: v for k, v in spec["schema"].items() if k != "coerce"}
            only = {"apiVersion": "assay.dev/v1", "kind": "ValidationPolicy", "metadata": doc["metadata"],
                    "spec": {"schema": schema, **({"match": spec["match"]} if "match" in spec else {})}}
            name = f"{f.relative_to(REPO)}:{doc['metadata']['name']}"
            try:
                out.append((name, assay.Policy.from_yaml(json.dumps(only), file=name)))
            except assay.PolicyError:
                pass  # a schema with `$ref`s to other files needs `assay.load`
    return out


def documents() -> list[dict]:
    docs = []
    for path in example_manifests():
        docs += [d for d in assay.parse((REPO / path).read_text(), str(path)) if isinstance(d, dict)]
    for path in sorted((REPO / "policies" / "tests").glob("*.yaml")) + sorted((REPO / "tests" / "cases").glob("*.yaml")):
        for case in assay.parse(path.read_text(), str(path))[0].get("cases", []) if not path.name.endswith(".policy.yaml") else []:
            if isinstance(case.get("input"), str):
                docs += [d for d in assay.parse(case["input"]) if isinstance(d, dict)]
    return docs


POLICIES = schema_only_policies()
DOCS = documents()


@pytest.mark.parametrize("name,policy", POLICIES, ids=[n for n, _ in POLICIES])
def test_in_place_answers_equal_the_full_path(name: str, policy: assay.Policy) -> None:
    for doc in DOCS:
        assert policy.validate(doc).to_dict() == policy.validate([doc]).to_dict(), (name, doc.get("metadata"))


def test_the_corpus_reaches_the_in_place_path() -> None:
    assert len(POLICIES) >= 4 and len(DOCS) >= 20
    before = _assay._passed_in_place()
    for _, policy in POLICIES:
        for doc in DOCS:
            policy.validate(doc)
    assert _assay._passed_in_place() - before >= 20


SCHEMA_ONLY = """\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: limits}
spec:
  match: {kinds: [ConfigMap], namespaces: [ml-*], labels: {team: ml}}
  schema:
    path: /data
    jsonSchema:
      type: object
      properties:
        n: {type: integer, maximum: 10}
        f: {type: number}
        b: {type: boolean}
        s: {type: string, pattern: "^[a-z]+$", maxLength: 3}
        l: {type: array, items: {type: integer}, uniqueItems: true}
        c: {const: {"a": [1, 2.0]}}
"""

BASE = {"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "m", "namespace": "ml-prod", "labels": {"team": "ml"}}, "data": {}}


def with_data(**data: object) -> dict:
    doc = copy.deepcopy(BASE)
    doc["data"] = data
    return doc


@pytest.mark.parametrize("doc", [
    with_data(n=10, f=1, b=True, s="abc", l=[1, 2], c={"a": [1, 2]}),
    with_data(n=11), with_data(n=10.0), with_data(n=10.5), with_data(n=True), with_data(f=False),
    with_data(b=1), with_data(b=0), with_data(s="abcd"), with_data(s="ABC"), with_data(s="é"),
    with_data(l=[1, 1]), with_data(l=[1, 1.0]), with_data(l=(1, 2)), with_data(l=[True]),
    with_data(c={"a": [1.0, 2]}), with_data(c={"a": (1, 2)}), with_data(c={"a": [1, 2], "b": 0}),
    with_data(n=2**63), with_data(n=2**64 - 1), with_data(x=None),
    # Values that do not convert: the full path raises, so must this.
    with_data(x=float("nan")), with_data(x=2**64), with_data(x={1: "a"}), with_data(x={"a": {1, 2}}),
    with_data(x="\ud800"),
    {**BASE, "data": "not a map"}, {**BASE, "kind": "Secret"}, {**BASE, "metadata": "m"},
    {**BASE, "metadata": {"name": "m", "namespace": "other", "labels": {"team": "ml"}}},
    {**BASE, "metadata": {"name": "m", "namespace": "ml-x", "labels": {"team": "web"}}},
    {k: v for k, v in BASE.items() if k != "data"},
], ids=repr)
def test_values_read_in_place_as_after_conversion(doc: dict) -> None:
    policy = assay.Policy.from_yaml(SCHEMA_ONLY)
    try:
        expected = policy.validate([doc]).to_dict()
    except assay.InputError as e:
        with pytest.raises(assay.InputError) as got:
            policy.validate(doc)
        assert str(got.value) == str(e)
        return
    assert policy.validate(doc).to_dict() == expected


def nested_lists(levels: int) -> object:
    deep: object = "leaf"
    for _ in range(levels):
        deep = [deep]
    return deep


@pytest.mark.parametrize("levels", [126, 127, 300])
def test_nesting_beyond_the_depth_limit_is_a_finding_in_place_too(levels: int) -> None:
    """The document and `data` are two levels: 126 lists under them are the
    128 the `depth` limit allows, 127 are one too many (as text would be)."""
    policy = assay.Policy.from_yaml(SCHEMA_ONLY)
    doc = with_data(x=nested_lists(levels))
    report = policy.validate(doc).to_dict()
    assert report == policy.validate([doc]).to_dict()
    rules = [f["rule"] for r in report["results"] for f in r["findings"]]
    assert rules == ([] if levels <= 126 else ["limit"])


def test_nesting_beyond_the_ceiling_is_an_error_in_place_too() -> None:
    policy = assay.Policy.from_yaml(SCHEMA_ONLY)
    with pytest.raises(assay.InputError, match="nested more than 1000 levels"):
        policy.validate(with_data(x=nested_lists(1000)))
