"""Every str argument of every public function: a str with a lone surrogate
(from `surrogateescape`, or a bad `\\ud800` escape) has no UTF-8 form, and
raises `InputError` naming the argument, never `UnicodeEncodeError`. Wrong
types stay `TypeError`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import assay

LONE = "ab\udcff"  # a lone surrogate at character 3
# Not even a byte escaped by `surrogateescape`: no file has this name.
NO_NAME = "ab\ud800"

POLICY = assay.Policy.from_yaml("""\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: p}
spec:
  schema: {jsonSchema: {type: object}}
""")
STATE = {"weight": 10}
METRICS: dict[str, Any] = {"baseline": {}, "candidate": {}}


class FsPath:
    """An os.PathLike whose `__fspath__` is any object."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self) -> Any:
        return self.value


def guard_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("a: 1\n")
    return path


CASES: dict[str, tuple[str, Callable[[Path], object]]] = {
    "validate env": ("env", lambda _: POLICY.validate({}, env=LONE)),
    "validate env, text": ("env", lambda _: POLICY.validate("a: 1", env=LONE, file="x.yaml")),
    "validate file": ("file", lambda _: POLICY.validate({}, file=LONE)),
    "validate file, text": ("file", lambda _: POLICY.validate("a: 1", file=LONE)),
    "validate file, old": ("file", lambda _: POLICY.validate({}, old={}, file=LONE)),
    "validate doc path": ("doc", lambda _: POLICY.validate(FsPath(NO_NAME))),
    "validate old path": ("old", lambda _: POLICY.validate({}, old=FsPath(NO_NAME))),
    "decide env": ("env", lambda _: POLICY.decide(STATE, METRICS, env=LONE)),
    "decide policy": ("policy", lambda _: POLICY.decide(STATE, METRICS, policy=LONE)),
    "review env": ("env", lambda _: POLICY.review({}, env=LONE)),
    "review file": ("file", lambda _: POLICY.review({}, file=LONE)),
    "review file, text": ("file", lambda _: POLICY.review("{}", file=LONE)),
    "call request": ("request", lambda _: POLICY.call(LONE)),
    "parse file": ("file", lambda _: assay.parse("a: 1", LONE)),
    "parse file by keyword": ("file", lambda _: assay.parse("a: 1", file=LONE)),
    "from_yaml file": ("file", lambda _: assay.Policy.from_yaml("a: 1", file=LONE)),
    "load path": ("path", lambda _: assay.load(NO_NAME)),
    "load PathLike": ("path", lambda _: assay.load(FsPath(NO_NAME))),
    "load paths": ("paths", lambda _: assay.load("policies", NO_NAME)),
    "ConfigGuard path": ("path", lambda _: assay.ConfigGuard(NO_NAME, POLICY, start=False)),
    "ConfigGuard env": (
        "env", lambda t: assay.ConfigGuard(guard_file(t), POLICY, env=LONE, start=False)),
    "ConfigGuard configmap": (
        "configmap",
        lambda t: assay.ConfigGuard(guard_file(t), POLICY, configmap=LONE, start=False)),
    "ConfigGuard namespace": (
        "namespace", lambda t: assay.ConfigGuard(guard_file(t), POLICY, configmap="c",
                                                 namespace=LONE, start=False)),
}


@pytest.mark.parametrize("case", CASES)
def test_a_lone_surrogate_in_a_str_argument_is_an_input_error(case: str, tmp_path: Path) -> None:
    # They used to raise UnicodeEncodeError (or, for load, a TypeError saying
    # a str is not a str); a guard's env made every version fail to reload.
    name, call = CASES[case]
    with pytest.raises(assay.InputError) as e:
        call(tmp_path)
    message = str(e.value)
    assert f"`{name}`" in message, message
    assert "lone surrogate at character 3" in message, message
    assert e.value.line is None and e.value.rule is None


def test_a_lone_surrogate_in_text_says_where() -> None:
    # The text arguments said so already (test_validate.py); now with where.
    for call in (lambda: POLICY.validate("a: " + LONE), lambda: assay.parse("a: " + LONE),
                 lambda: POLICY.review("a: " + LONE),
                 lambda: POLICY.validate({}, old="a: " + LONE)):
        with pytest.raises(assay.InputError, match="lone surrogate at character 6"):
            call()
    with pytest.raises(assay.InputError, match="lone surrogate at character 6") as e:
        assay.parse("a: " + LONE, "x.yaml")
    assert e.value.file == "x.yaml"
    with pytest.raises(assay.PolicyError, match="lone surrogate at character 6"):
        assay.Policy.from_yaml("a: " + LONE)


def test_a_surrogate_escaped_file_name_is_still_a_path(tmp_path: Path) -> None:
    # `\udcff` is the byte 0xff of a file name, as os.listdir gives it: valid.
    with pytest.raises(assay.PolicyError, match="cannot read"):
        assay.load(str(tmp_path / LONE))
    with pytest.raises(assay.InputError, match="cannot read"):
        POLICY.validate(Path(tmp_path / LONE))


@pytest.mark.parametrize("call", [
    lambda: POLICY.validate({}, env=1),
    lambda: POLICY.validate({}, file=b"x"),
    lambda: POLICY.decide(STATE, METRICS, env=1),
    lambda: POLICY.decide(STATE, METRICS, policy=1),
    lambda: POLICY.review({}, env=1),
    lambda: POLICY.review({}, file=1),
    lambda: POLICY.call(1),
    lambda: assay.parse(1),
    lambda: assay.parse("a: 1", 1),
    lambda: assay.Policy.from_yaml(1),
    lambda: assay.Policy.from_yaml("a: 1", file=1),
    lambda: assay.load(1),
    lambda: assay.load(FsPath(1)),
])
def test_wrong_types_are_type_errors(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize(
    "kwargs", [{"env": 1}, {"configmap": 1}, {"configmap": "c", "namespace": 1}])
def test_a_guard_refuses_wrong_types_when_made(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=f"`{list(kwargs)[-1]}`"):
        assay.ConfigGuard(guard_file(tmp_path), POLICY, start=False, **kwargs)
