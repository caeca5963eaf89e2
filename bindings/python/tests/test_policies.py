"""Loading policies: files, directories, modules; every problem with file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

import assay
from conftest import REPO


def test_load_a_file_a_directory_and_several_paths() -> None:
    one = assay.load("policies/ml-pipeline-config.yaml")
    assert [p["name"] for p in one.describe()] == ["ml-pipeline-config"]
    both = assay.load(Path("policies/ml-pipeline-config.yaml"), "policies/app-config.yaml")
    assert {p["name"] for p in both.describe()} == {"ml-pipeline-config", "app-config"}
    directory = assay.load(REPO / "policies")
    kinds = {p["kind"] for p in directory.describe()}
    assert kinds == {"ValidationPolicy", "RolloutPolicy"}
    assert not directory.is_module
    assert "policies" in repr(directory)


def test_describe_names_each_policys_environments() -> None:
    policies = {p["name"]: p for p in assay.load(REPO / "policies").describe()}
    assert policies["ml-pipeline-config"]["environments"] == ["production"]
    assert policies["fraud-v2-canary"]["environments"] == ["production", "staging"]
    assert "environments" not in policies["secret-hygiene"]


def test_schema_refs_to_other_files_are_read_relative_to_the_policy() -> None:
    policy = assay.load("tests/cases/schema-ref.policy.yaml")
    text = Path("tests/cases/schema-ref.policy.yaml").read_text()
    with pytest.raises(assay.PolicyError, match=r"\$ref"):
        assay.Policy.from_yaml(text)  # text has no file to be relative to
    assert policy.describe()


def test_every_policy_problem_is_reported_with_its_location() -> None:
    text = """\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: broken}
spec:
  rules:
    - name: a
      expr: object.x >
    - name: a
      expr: "true"
      severty: warning
"""
    with pytest.raises(assay.PolicyError) as e:
        assay.Policy.from_yaml(text, file="broken.yaml")
    err = e.value
    assert len(err.errors) >= 2
    assert all(p.file == "broken.yaml" and p.line and p.column for p in err.errors)
    assert (err.file, err.line) == (err.errors[0].file, err.errors[0].line)
    lines = str(err).splitlines()
    assert len(lines) == len(err.errors)
    assert any("severty" in line for line in lines)
    assert str(err.errors[0]).startswith(f"broken.yaml:{err.errors[0].line}:{err.errors[0].column}: ")
    assert isinstance(err, assay.AssayError)


def test_an_expression_too_deep_to_evaluate_is_refused_at_load() -> None:
    # It used to load, then overflow the stack on validate and kill the process.
    chain = "size(object.data)" + " + 1" * 5000 + " > 0"
    text = (
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: deep}\n"
        f"spec:\n  rules:\n    - name: long\n      expr: {chain}\n"
    )
    with pytest.raises(assay.PolicyError, match="more than 64 operators") as e:
        assay.Policy.from_yaml(text, file="deep.yaml")
    assert (e.value.file, e.value.line, e.value.rule) == ("deep.yaml", 7, "long")


def test_unreadable_paths_and_no_policies_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(assay.PolicyError, match="cannot read") as e:
        assay.load(tmp_path / "missing.yaml")
    assert e.value.file.endswith("missing.yaml")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(assay.PolicyError, match="no policies found"):
        assay.load(tmp_path)
    with pytest.raises(assay.PolicyError, match="no policies found"):
        assay.Policy.from_yaml("a: 1\n")
    (tmp_path / "bad.wasm").write_bytes(b"\0asm\1\0\0\0")
    with pytest.raises(assay.PolicyError, match="not a policy module") as e:
        assay.load(tmp_path / "bad.wasm")
    assert e.value.file.endswith("bad.wasm")
    with pytest.raises(assay.PolicyError, match="on its own"):
        assay.load(tmp_path / "bad.wasm", "policies")
    with pytest.raises(TypeError):
        assay.load(42)  # type: ignore[arg-type]


def test_invalid_utf8_in_a_policy_is_located(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_bytes(b"apiVersion: assay.dev/v1\nkind: \xff\n")
    with pytest.raises(assay.PolicyError) as e:
        assay.load(tmp_path / "p.yaml")
    assert (e.value.line, e.value.column) == (2, 7)


def test_parse_uses_assays_parser() -> None:
    assert assay.parse("a: 1\n---\n- x\n") == [{"a": 1}, ["x"]]
    with pytest.raises(assay.InputError) as e:
        assay.parse("a: 1\nb: [\n", "f.yaml")
    assert (e.value.file, e.value.line, e.value.rule) == ("f.yaml", 3, "parse")
    assert str(e.value).startswith("f.yaml:3:")
