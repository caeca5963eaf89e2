"""`Policy.validate`: every kind of input, and the same reports as the CLI."""

from __future__ import annotations

import collections
import datetime
import decimal
import json
from pathlib import Path

import pytest

import assay
from conftest import REPO, example_manifests, run_cli

POLICY = """\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: ml-config}
spec:
  match: {kinds: [ConfigMap]}
  params: {minUpdateInterval: 10}
  environments:
    production: {params: {minUpdateInterval: 30}}
  schema:
    path: /data
    coerce: strings
    jsonSchema:
      type: object
      properties:
        LOG_LEVEL: {enum: [DEBUG, INFO, WARNING, ERROR]}
        MODEL_UPDATE_INTERVAL: {type: integer}
  rules:
    - name: update-interval-floor
      expr: int(object.data.MODEL_UPDATE_INTERVAL) >= params.minUpdateInterval
      when: has(object.data.MODEL_UPDATE_INTERVAL)
      message: MODEL_UPDATE_INTERVAL is below the floor
      path: /data/MODEL_UPDATE_INTERVAL
    - name: no-interval-increase-above-2x
      expr: oldObject == null || int(object.data.MODEL_UPDATE_INTERVAL) <= 2 * int(oldObject.data.MODEL_UPDATE_INTERVAL)
      severity: warning
      path: /data/MODEL_UPDATE_INTERVAL
"""

CM_TEXT = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ml-pipeline-config
  namespace: ml
data:
  LOG_LEVEL: TRACE
  MODEL_UPDATE_INTERVAL: "20"
"""


def configmap(**data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "ml-pipeline-config", "namespace": "ml"}, "data": data}


@pytest.fixture(scope="module")
def policy() -> assay.Policy:
    return assay.Policy.from_yaml(POLICY, file="ml-config.yaml")


def test_a_dict_is_validated_without_positions(policy: assay.Policy) -> None:
    report = policy.validate(configmap(LOG_LEVEL="INFO", MODEL_UPDATE_INTERVAL="60"))
    assert (report.verdict, report.ok, bool(report)) == ("pass", True, True)
    assert report.findings == []
    report = policy.validate(configmap(LOG_LEVEL="TRACE", MODEL_UPDATE_INTERVAL="60"))
    assert (report.verdict, report.ok) == ("fail", False)
    [f] = report.findings
    assert (f.rule, f.severity, f.path, f.policy) == ("schema", "error", "/data/LOG_LEVEL", "ml-config")
    assert "TRACE" in f.message
    assert (f.line, f.column, f.file, f.document) == (None, None, None, 0)


def test_text_findings_have_line_and_column(policy: assay.Policy) -> None:
    report = policy.validate(CM_TEXT, file="cm.yaml")
    [f] = report.findings
    assert (f.file, f.line, f.column, f.rule) == ("cm.yaml", 7, 14, "schema")
    assert str(f).startswith("cm.yaml:7:14: error[ml-config/schema] ")
    # bytes are text too
    assert policy.validate(CM_TEXT.encode()).to_dict() == policy.validate(CM_TEXT).to_dict()


@pytest.mark.parametrize("wrap", [bytes, bytearray, lambda b: memoryview(b), lambda b: memoryview(b"##" + b)[2:]])
def test_bytes_like_inputs_are_text(policy: assay.Policy, wrap) -> None:
    expected = policy.validate(CM_TEXT, file="cm.yaml").to_dict()
    assert policy.validate(wrap(CM_TEXT.encode()), file="cm.yaml").to_dict() == expected
    # Not UTF-8: a parse finding at the bad byte, as for a file.
    report = policy.validate(wrap(b"a: 1\nb: \xff\n"), file="bad.yaml")
    [f] = report.findings
    assert (f.rule, f.file, f.line, f.column) == ("parse", "bad.yaml", 2, 4)
    assert "UTF-8" in f.message
    # As the old version too.
    new = configmap(LOG_LEVEL="INFO", MODEL_UPDATE_INTERVAL="100")
    old_text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config, namespace: ml}\n"
                "data: {MODEL_UPDATE_INTERVAL: '20'}\n")
    assert (policy.validate(new, old=wrap(old_text.encode())).to_dict()
            == policy.validate(new, old=old_text).to_dict())


def test_env_selects_params(policy: assay.Policy) -> None:
    doc = configmap(LOG_LEVEL="INFO", MODEL_UPDATE_INTERVAL="20")
    assert policy.validate(doc).verdict == "pass"
    report = policy.validate(doc, env="production")
    assert [f.rule for f in report.findings] == ["update-interval-floor"]
    assert report.findings[0].message == "MODEL_UPDATE_INTERVAL is below the floor"


def test_old_is_the_previous_version(policy: assay.Policy) -> None:
    new = configmap(LOG_LEVEL="INFO", MODEL_UPDATE_INTERVAL="100")
    assert policy.validate(new).verdict == "pass"
    for old in (configmap(MODEL_UPDATE_INTERVAL="20"), [configmap(MODEL_UPDATE_INTERVAL="20")],
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config, namespace: ml}\n"
                "data: {MODEL_UPDATE_INTERVAL: '20'}\n"):
        report = policy.validate(new, old=old)
        assert (report.verdict, [f.rule for f in report.findings]) == ("warn", ["no-interval-increase-above-2x"])
        assert report.ok


def test_old_text_that_does_not_parse_is_reported(policy: assay.Policy) -> None:
    new = configmap(LOG_LEVEL="INFO", MODEL_UPDATE_INTERVAL="100")
    report = policy.validate(new, old="kind: ConfigMap\nmetadata: {name: x\n", file="cm.yaml")
    assert report.verdict == "fail"
    [failure] = [r for r in report.to_dict()["results"] if r.get("file") == "<old>"]
    assert failure["findings"][0]["rule"] == "parse"
    assert report.summary.to_dict()["documents"] == 1


def test_a_list_is_a_stream_of_documents(policy: assay.Policy) -> None:
    docs = [configmap(LOG_LEVEL="INFO"), {"kind": "Secret"}, configmap(LOG_LEVEL="TRACE")]
    report = policy.validate(docs)
    assert report.summary.to_dict() == {"documents": 3, "checked": 2, "errors": 1, "warnings": 0}
    assert [r.document for r in report.results] == [0, 2]
    assert report.findings[0].document == 2
    assert policy.validate(tuple(docs)).to_dict() == report.to_dict()
    text = "---\n".join(json.dumps(d) + "\n" for d in docs)
    assert [r.to_dict()["verdict"] for r in policy.validate(text).results] == ["pass", "fail"]


def test_a_document_that_does_not_parse_is_a_parse_finding(policy: assay.Policy) -> None:
    report = policy.validate("a: [1, 2\n---\n" + CM_TEXT, file="x.yaml")
    assert report.summary.documents == 2
    parse, schema = report.findings
    assert (parse.rule, parse.file, parse.line, parse.document) == ("parse", "x.yaml", 2, 0)
    assert (schema.rule, schema.line, schema.document) == ("schema", 9, 1)


def test_python_values_that_json_cannot_hold_are_input_errors(policy: assay.Policy) -> None:
    cases = [
        ({"data": {"x": {1, 2}}}, "`/data/x`", "set"),
        ({"data": {1: "a"}}, "`/data`", "keys must be strings"),
        ({"a": [1, float("nan")]}, "`/a/1`", "NaN"),
        ({"a": 2**70}, "`/a`", "too large"),
        ({"a~b/c": object()}, "`/a~0b~1c`", "object"),
    ]
    for doc, where, what in cases:
        with pytest.raises(assay.InputError) as e:
            policy.validate(doc)
        assert where in str(e.value) and what in str(e.value), str(e.value)
        assert isinstance(e.value, assay.AssayError)
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(assay.InputError, match="nested more than"):
        policy.validate(cyclic)
    with pytest.raises(assay.InputError, match="cannot read"):
        policy.validate(Path("does/not/exist.yaml"))


def test_values_convert_as_json_would(policy: assay.Policy) -> None:
    # Conversion without a JSON round trip must give what JSON would.
    doc = {"kind": "X", "n": [True, False, None, 0, -1, 2**63 - 1, 2**64 - 1, 1.5, "é"], "t": (1, 2)}
    source = assay.Policy.from_yaml(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: echo}\nspec:\n"
        "  rules:\n    - {name: echo, expr: 'false', messageExpr: 'string(object.n) + string(object.t)'}\n")
    direct = source.validate(doc).findings[0].message
    via_json = source.validate(json.loads(json.dumps(doc))).findings[0].message
    via_text = source.validate(json.dumps(doc)).findings[0].message
    assert direct == via_json == via_text


def same_as(expected: object) -> assay.Policy:
    """A policy whose schema passes exactly the JSON value `expected`."""
    doc = {"apiVersion": "assay.dev/v1", "kind": "ValidationPolicy", "metadata": {"name": "same"},
           "spec": {"schema": {"jsonSchema": {"const": expected}}}}
    return assay.Policy.from_yaml(json.dumps(doc, ensure_ascii=False), file="same.json")


class D(dict):
    pass


class L(list):
    pass


class S(str):
    pass


class I(int):
    pass


class F(float):
    pass


def test_subclasses_convert_as_json_would() -> None:
    # Exact types take the C-API walk, subclasses the pyo3 path: both must
    # give what `json.dumps` would, at any depth.
    point = collections.namedtuple("point", "x y")
    doc = D(kind="X", a=collections.OrderedDict(b=L([S("s"), I(7), F(1.5), True, False, None, 1, 0])),
            t=(1, (2, [3])), p=point(1, 2), e={}, l=[], n={"x": {"y": [{"z": "deep"}]}},
            ints=[2**63 - 1, -2**63, 2**63, 2**64 - 1, I(2**64 - 1), I(-5)],
            f=[0.0, -0.5, 1e308, 5e-324, F(-2.25)], u="é€😀")
    doc[S("key")] = "a str subclass as key"
    expected = json.loads(json.dumps(doc))
    assert same_as(expected).validate(doc).verdict == "pass"
    assert same_as(expected).validate([doc, expected]).summary.errors == 0
    expected["u"] = "other"
    assert same_as(expected).validate(doc).verdict == "fail"


def test_json_text_with_characters_outside_the_bmp() -> None:
    # `json.dumps` escapes them as surrogate pairs unless told otherwise.
    doc = {"kind": "X", "u": "é€😀", "nested": {"l": ["🚀", "x😀y"]}}
    for text in (json.dumps(doc), json.dumps(doc, indent=2)):
        assert assay.parse(text) == [doc]
        assert same_as(doc).validate(text).verdict == "pass"


def test_text_with_a_lone_surrogate_is_an_assay_error(policy: assay.Policy) -> None:
    # Such a str has no UTF-8 form; it used to escape as UnicodeEncodeError.
    with pytest.raises(assay.InputError, match="lone surrogate"):
        policy.validate("a: \udcff\n")
    with pytest.raises(assay.InputError, match="lone surrogate"):
        policy.review("{\"a\": \"\udcff\"}")
    with pytest.raises(assay.InputError, match="lone surrogate"):
        assay.parse("a: \udcff")
    with pytest.raises(assay.PolicyError, match="lone surrogate") as e:
        assay.Policy.from_yaml("metadata: {name: \udcff}\n", file="p.yaml")
    assert e.value.file == "p.yaml"


def test_a_path_given_as_str_is_not_read_as_yaml_text(policy: assay.Policy) -> None:
    # It used to be checked as the one-line string document "examples/...", and pass.
    with pytest.raises(assay.InputError, match="names a file") as e:
        policy.validate("examples/k8s/app-config.yaml")
    assert "pathlib.Path" in (e.value.hint or "")
    assert policy.validate(Path("examples/k8s/app-config.yaml")).summary.documents == 1
    assert policy.validate("just a string").summary.documents == 1
    # A directory, or a mistyped file name, passed as well.
    with pytest.raises(assay.InputError, match="names a directory"):
        policy.validate(str(REPO / "examples" / "k8s"))
    with pytest.raises(assay.InputError, match="path of a file that does not exist"):
        policy.validate("examples/k8s/typo.yaml")
    assert policy.validate("{a: b.yaml}").summary.documents == 1


def test_reports_and_validation_errors_cross_a_process_boundary(policy: assay.Policy) -> None:
    # A worker's raise_for_errors() reached the parent as a TypeError: they did not pickle.
    import copy
    import pickle

    report = policy.validate("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata: {LOG_LEVEL: TRACE}\n")
    assert report.verdict == "fail"
    again = pickle.loads(pickle.dumps(report))
    assert again.to_dict() == report.to_dict()
    with pytest.raises(assay.ValidationError) as e:
        report.raise_for_errors()
    for err in (pickle.loads(pickle.dumps(e.value)), copy.copy(e.value)):
        assert isinstance(err, assay.ValidationError)
        assert (str(err), err.rule, err.line, err.file) == (str(e.value), e.value.rule, e.value.line, e.value.file)
        assert err.report.to_dict() == report.to_dict()


def test_bool_is_not_int() -> None:
    assert same_as({"b": True, "i": 1, "z": 0}).validate({"b": True, "i": 1, "z": 0}).verdict == "pass"
    assert same_as({"b": 1}).validate({"b": True}).verdict == "fail"
    assert same_as({"i": True}).validate({"i": 1}).verdict == "fail"
    assert same_as({"z": False}).validate({"z": 0}).verdict == "fail"
    assert same_as({"l": [False, True]}).validate({"l": [False, True]}).verdict == "pass"


def test_equal_keys_keep_the_last_value() -> None:
    # A `str` subclass with its own hash can stand beside an equal `str`
    # key; converted, both are "a", and the later one wins, as inserting would.
    class K(str):
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            return self is other

    first, second = {"a": 1, K("a"): 2}, {K("a"): 2, "a": 1}
    assert len(first) == len(second) == 2
    assert same_as({"a": 2}).validate(first).verdict == "pass"
    assert same_as({"a": 1}).validate(second).verdict == "pass"


@pytest.mark.parametrize(("doc", "where", "what"), [
    ({"a": [{"b": float("inf")}]}, "`/a/0/b`", "NaN or infinity"),
    ({"a": -float("inf")}, "`/a`", "NaN or infinity"),
    ({"a": F("nan")}, "`/a`", "NaN or infinity"),
    ({"a": 2**64}, "`/a`", "too large"),
    ({"a": -2**63 - 1}, "`/a`", "too large"),
    ({"a": I(2**64)}, "`/a`", "too large"),
    ({"a": [1, -2**100]}, "`/a/1`", "too large"),
    ({"a": {(1, 2): "x"}}, "`/a`", "a key of type `tuple`; keys must be strings"),
    ({"a": {b"k": 1}}, "`/a`", "a key of type `bytes`"),
    ({"a": {None: 1}}, "`/a`", "a key of type `NoneType`"),
    ({"a": "\ud800"}, "`/a`", "a string that is not valid Unicode"),
    ({"a": S("\ud800")}, "`/a`", "a string that is not valid Unicode"),
    ({"a": {"\udfff": 1}}, "`/a`", "a key that is not valid Unicode"),
    ({"a": {S("\udfff"): 1}}, "`/a`", "a key that is not valid Unicode"),
    ({"a": [1, b"x"]}, "`/a/1`", "a value of type `bytes`"),
    ({"a": (1, {2: 3})}, "`/a/1`", "keys must be strings"),
    ({"a": L([0, {1.5}])}, "`/a/1`", "a value of type `set`"),
    (D(x={"y": decimal.Decimal("1")}), "`/x/y`", "a value of type `Decimal`"),
    ({"a": {"b/c": {"d~e": object()}}}, "`/a/b~1c/d~0e`", "a value of type `object`"),
    # What PyYAML makes of unquoted dates and times: the error says how to keep the text.
    ({"a": datetime.date(2024, 1, 1)}, "`/a`", "a value of type `date`; PyYAML reads unquoted dates"),
    ({"a": [datetime.datetime(2024, 1, 1)]}, "`/a/0`", "quote the value, or read the YAML with `assay.parse`"),
])
def test_input_errors_name_the_place(policy: assay.Policy, doc: object, where: str, what: str) -> None:
    with pytest.raises(assay.InputError) as e:
        policy.validate(doc)
    assert str(e.value).startswith(f"{where}: ") and what in str(e.value), str(e.value)


def test_nesting_is_limited_to_1000_levels(policy: assay.Policy) -> None:
    def lists(k: int) -> list:
        v: list = []
        for _ in range(k - 1):
            v = [v]
        return v

    def dicts(k: int) -> dict:
        v: dict = {}
        for _ in range(k - 1):
            v = {"d": v}
        return v

    # The document is level 0, so the innermost of k containers under it is
    # level k. Past the `depth` limit (128), a value is a `limit` finding;
    # past its ceiling, it is not read at all.
    for make, step in ((lists, "/0"), (dicts, "/d")):
        report = policy.validate({"a": make(1000)}).to_dict()
        assert "limit" in [f["rule"] for r in report["results"] for f in r["findings"]]
        with pytest.raises(assay.InputError, match="nested more than 1000 levels deep") as e:
            policy.validate({"a": make(1001)})
        assert str(e.value).startswith("`/a" + step * 1000 + "`: "), str(e.value)[:40]
    policy.validate({"a": tuple(lists(1000))})
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(assay.InputError, match="nested more than 1000 levels deep"):
        policy.validate({"a": cyclic})


def test_a_list_subclass_is_a_stream_of_documents(policy: assay.Policy) -> None:
    docs = [configmap(LOG_LEVEL="INFO"), configmap(LOG_LEVEL="TRACE")]
    assert policy.validate(L(docs)).to_dict() == policy.validate(docs).to_dict()
    assert policy.validate(L(docs)).summary.documents == 2


def test_paths_and_directories_as_the_cli_reads_them(cli: Path, library: assay.Policy) -> None:
    for target in [*example_manifests(), Path("examples/k8s"), Path("cli/tests/fixtures/dotenv")]:
        for env in ("", "production"):
            args = ["check", "-p", "policies", "-o", "json", str(target)]
            if env:
                args[1:1] = ["--env", env]
            out = run_cli(cli, *args)
            assert out.returncode in (0, 1), out.stderr
            ours = library.validate(target, env=env or None).to_dict()
            assert ours == json.loads(out.stdout), (target, env)


def test_the_built_in_library_is_the_cli_default(cli: Path) -> None:
    defaults = assay.Policy.defaults()
    out = run_cli(cli, "check", "-o", "json", "examples/k8s")
    assert defaults.validate(Path("examples/k8s")).to_dict() == json.loads(out.stdout)
    assert {p["name"] for p in defaults.describe()} >= {"ml-pipeline-config", "secret-hygiene"}


def test_reports_render_like_the_cli(cli: Path, library: assay.Policy) -> None:
    target = "examples/k8s/ml-inference-secrets.yaml"
    report = library.validate(Path(target))
    assert report.to_text() == run_cli(cli, "check", "-p", "policies", target).stdout
    assert json.loads(report.to_json()) == report.to_dict()
    results = report.to_dict()["results"]
    assert [r.to_dict() for r in report.results] == results
    assert [f.to_dict() for f in report.findings] == [f for r in results for f in r["findings"]]


def test_secrets_never_appear_in_reports() -> None:
    token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n"
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"GITHUB_TOKEN": token}}
    report = assay.Policy.defaults().validate(doc)
    assert "secret-in-configmap" in {f.rule for f in report.findings}
    for text in (report.to_json(), report.to_text(), repr(report.findings), str(report.findings[0])):
        assert token not in text
    with pytest.raises(assay.ValidationError) as e:
        report.raise_for_errors()
    assert token not in str(e.value)


def test_raise_for_errors(policy: assay.Policy) -> None:
    policy.validate(configmap(LOG_LEVEL="INFO")).raise_for_errors()  # pass: no error
    report = policy.validate(CM_TEXT, file="cm.yaml")
    with pytest.raises(assay.ValidationError) as e:
        report.raise_for_errors()
    err = e.value
    assert (err.file, err.line, err.column, err.rule, err.policy, err.path) == (
        "cm.yaml", 7, 14, "schema", "ml-config", "/data/LOG_LEVEL")
    assert err.report is report and len(err.findings) == 1
    assert str(err).startswith("1 error(s): cm.yaml:7:14: ml-config/schema: ")


def test_a_token_used_as_a_key_is_not_in_the_error(policy: assay.Policy) -> None:
    token = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n"
    with pytest.raises(assay.InputError) as e:
        policy.validate({"data": {token: {1}}})
    assert token[4:] not in str(e.value) and "a value of type `set`" in str(e.value), str(e.value)


def test_a_file_name_that_is_not_utf8_is_read(tmp_path: Path) -> None:
    import os
    import shutil

    name = os.fsdecode(b"p\xff.yaml")  # surrogate-escaped, as os.listdir gives it
    shutil.copy(REPO / "policies" / "app-config.yaml", tmp_path / name)
    for path in (tmp_path / name, str(tmp_path / name)):
        assert [p["name"] for p in assay.load(path).describe()] == ["app-config"]
    shutil.copy(REPO / "examples" / "k8s" / "app-config.yaml", tmp_path / os.fsdecode(b"c\xfe.yaml"))
    report = assay.load(REPO / "policies").validate(tmp_path / os.fsdecode(b"c\xfe.yaml"))
    assert report.summary.documents == 1
