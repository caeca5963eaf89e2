"""No secret leaks through an error (docs/secrets.md, "Redaction"): credentials
planted where errors quote their input, through `validate`, `review`,
`decide`, `parse`, `load` and `ConfigGuard`, and no 8-character piece of any
of them in the exceptions' text, repr, arguments and fields, in the logs, or
in the results' text. cli/tests/leaks.rs plants the same in the CLI."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any, Callable

import pytest

import assay

TOKEN = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n"
AWS_KEY = "AKIA2ASSAYLEAK7QXZ3T"
# Not token-shaped: secret only because of the key it is under.
PASSWORD = "Tr0ub4dor&3AssayLeak"
PEM_LINES = (
    "MIIEowIBAAKCAQEAassayFAKEfakeFAKEkeyBODYline0123456789abcdefABCDEF",
    "q8Zr2Lx7Vw4Ns1Kp9Jd6Hf3Gb0Tm5Ye8Uc2Ra7Wi4Oo1Pl6Qk3Mj9Nh0Bg5Vf2Cd",
)
# A kubeconfig's bearer token: secret because it is the value of `token:`.
BEARER = "kc7Rq2Zt9LmX4vB8nW1pY6sD3fG0hJ5aQe"
SECRETS = (TOKEN, AWS_KEY, PASSWORD, BEARER, *PEM_LINES)

PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINES[0]}\n{PEM_LINES[1]}\n-----END RSA PRIVATE KEY-----\n"
KUBECONFIG = f"apiVersion: v1\nkind: Config\nusers:\n  - name: ci\n    user:\n      token: {BEARER}\n"


def indent(text: str, n: int) -> str:
    return "".join(" " * n + line + "\n" for line in text.splitlines())


CONFIG_MAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaky}\ndata:\n"
    f"  GITHUB_TOKEN: {TOKEN}\n  AWS_ACCESS_KEY_ID: {AWS_KEY}\n  DB_PASSWORD: '{PASSWORD}'\n"
    f"  tls.key: |\n{indent(PEM, 4)}  kubeconfig: |\n{indent(KUBECONFIG, 4)}"
)
CONFIG_MAP_DICT = {
    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "leaky"},
    "data": {"GITHUB_TOKEN": TOKEN, "AWS_ACCESS_KEY_ID": AWS_KEY, "DB_PASSWORD": PASSWORD,
             "tls.key": PEM, "kubeconfig": KUBECONFIG},
}

RULES = {
    "token": "'token ' + object.data.GITHUB_TOKEN",
    "token-tail": "'tail ' + object.data.GITHUB_TOKEN.substring(5)",
    "aws": "'aws ' + object.data.AWS_ACCESS_KEY_ID",
    "password": "'password ' + object.data.DB_PASSWORD",
    "password-piece": "'piece ' + object.data.DB_PASSWORD.substring(2, 14)",
    "pem": "'key ' + object.data['tls.key']",
    "pem-line": "'line ' + object.data['tls.key'].split('\\n')[2]",
    "kubeconfig": "'config ' + object.data.kubeconfig",
    "bearer": "'bearer ' + object.data.kubeconfig.split('token: ')[1]",
}
LEAKY_POLICY = (
    "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: leaky}\nspec:\n"
    "  match: {kinds: [ConfigMap]}\n  rules:\n"
    + "".join(f"    - name: {name}\n      expr: 'false'\n      messageExpr: {json.dumps(expr)}\n"
              for name, expr in RULES.items())
)
LEAKY = assay.Policy.from_yaml(LEAKY_POLICY, file="leaky.yaml")
LIBRARY = assay.Policy.defaults()


def shown_piece(text: str) -> str | None:
    """The first 8-character piece of a planted secret (not starting or ending
    in whitespace) that `text` shows."""
    for secret in SECRETS:
        for i in range(len(secret) - 7):
            piece = secret[i : i + 8]
            if piece.strip() == piece and piece in text:
                return piece
    return None


def assert_clean(text: str, what: object) -> None:
    piece = shown_piece(text)
    assert piece is None, f"{what}: `{piece}` of a planted secret is shown in\n{text}"


def exposed(value: Any, depth: int = 0) -> str:
    """Everything an exception or result shows: its text, repr, args and
    fields, recursively (findings, problems, reports)."""
    if depth > 4:
        return ""
    parts = [str(value), repr(value)]
    if isinstance(value, BaseException):
        parts += [exposed(a, depth + 1) for a in value.args]
        parts += [exposed(v, depth + 1) for v in vars(value).values()]
        for chained in (value.__cause__, value.__context__):
            if chained is not None:
                parts.append(exposed(chained, depth + 1))
    elif isinstance(value, (list, tuple)):
        parts += [exposed(v, depth + 1) for v in value]
    elif isinstance(value, dict):
        parts.append(json.dumps(value, default=str))
    elif isinstance(value, assay.Report):
        parts += [value.to_json(), value.to_text(), exposed(value.findings, depth + 1)]
        try:
            value.raise_for_errors()
        except assay.ValidationError as e:
            parts.append(exposed(e, depth + 1))
    elif isinstance(value, assay.Finding):
        parts += [value.message, json.dumps(value.to_dict())]
    elif isinstance(value, assay.Decision):
        parts += [value.to_json(), value.reason]
    elif hasattr(value, "__dataclass_fields__"):
        parts += [exposed(v, depth + 1) for v in vars(value).values()]
    return "\n".join(parts)


def outcome(f: Callable[[], Any]) -> str:
    """What a call shows: its result, or the exception it raised; and any
    Python warning it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            shown = exposed(f())
        except assay.AssayError as e:
            shown = exposed(e)
    return shown + "".join(str(w.message) for w in caught)


HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken}\ndata:\n"
ESCAPED_PEM = json.dumps(PEM)
BROKEN = {
    "token": f"{HEAD}  GITHUB_TOKEN: {TOKEN}: oops\n",
    "aws": f'{HEAD}  AWS_ACCESS_KEY_ID: "{AWS_KEY}\n',
    "password": f"{HEAD}  DB_PASSWORD: [{PASSWORD}\n",
    "password-quoted": f"{HEAD}  DB_PASSWORD: '{PASSWORD}' trailing\n",
    "pem": f"{HEAD}  tls.key: {ESCAPED_PEM} x\n",
    "pem-block": f"{HEAD}  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    {PEM_LINES[0]}\n\t{PEM_LINES[1]}\n",
    "kubeconfig": f"{HEAD}  kubeconfig: {{users: [{{user: {{token: {BEARER} ]}}\n",
    "duplicate-key": f"{HEAD}  {TOKEN}: 1\n  {TOKEN}: 2\n",
    "alias": f"{HEAD}  GITHUB_TOKEN: *{TOKEN}\n",
    "second-document": f"{CONFIG_MAP}---\n{HEAD}  GITHUB_TOKEN: {TOKEN}: oops\n",
    "json": (
        '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"GITHUB_TOKEN": "' + TOKEN
        + '", "DB_PASSWORD": "' + PASSWORD + '" "BEARER": "' + BEARER + '"}}\n'
    ),
    "json-unterminated": '{"data": {"DB_PASSWORD": "' + PASSWORD + '", "tls.key": ' + ESCAPED_PEM,
}


@pytest.mark.parametrize("name", BROKEN)
@pytest.mark.parametrize("policy", [LIBRARY, LEAKY], ids=["library", "leaky"])
def test_syntax_errors_on_a_secret_s_line(name: str, policy: assay.Policy, tmp_path: Path) -> None:
    text = BROKEN[name]
    path = tmp_path / ("input.json" if name.startswith("json") else "input.yaml")
    path.write_text(text)
    for call in (
        lambda: policy.validate(text),
        lambda: policy.validate(text.encode(), file="input.yaml"),
        lambda: policy.validate(path),
        lambda: policy.validate(CONFIG_MAP, old=text),
        lambda: assay.parse(text),
    ):
        shown = outcome(call)
        assert "parse" in shown or "InputError" in shown, shown
        assert_clean(shown, name)


def test_invalid_utf8_on_a_secret_s_line() -> None:
    text = f"data:\n  DB_PASSWORD: {PASSWORD}".encode() + b"\xff\n"
    assert_clean(outcome(lambda: LIBRARY.validate(text)), "validate")


@pytest.mark.parametrize("doc", [CONFIG_MAP, CONFIG_MAP_DICT, [CONFIG_MAP_DICT]], ids=["text", "dict", "list"])
def test_message_exprs_that_print_secrets(doc: Any) -> None:
    report = LEAKY.validate(doc)
    assert {f.rule for f in report.findings} == set(RULES)
    assert_clean(outcome(lambda: report), "report")
    with pytest.raises(assay.ValidationError) as e:
        report.raise_for_errors()
    assert_clean(exposed(e.value), "ValidationError")
    assert_clean(exposed(e.value.findings), "findings")


def test_values_json_cannot_hold_under_secret_names() -> None:
    docs = [
        {"data": {TOKEN: float("nan")}},
        {"data": {"DB_PASSWORD": PASSWORD, AWS_KEY: object()}},
        {"data": {"kubeconfig": KUBECONFIG, f"{TOKEN}.yaml": b"\xff"}},
    ]
    for doc in docs:
        shown = outcome(lambda: LIBRARY.validate(doc))
        assert "InputError" in shown, shown
        assert_clean(shown, doc)


def test_a_str_that_looks_like_a_path_named_by_a_token() -> None:
    for text in (f"{TOKEN}.yaml", f"configs/{AWS_KEY}.json"):
        shown = outcome(lambda: LIBRARY.validate(text))
        assert "InputError" in shown, shown
        assert_clean(shown, text)


def admission(obj: Any) -> dict[str, Any]:
    return {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "operation": "CREATE",
                    "userInfo": {"username": "ci"}, "object": obj},
    }


def test_reviews_and_review_errors() -> None:
    for policy in (LIBRARY, LEAKY):
        request = admission(CONFIG_MAP_DICT)
        for review in (request, json.dumps(request), json.dumps(request).encode()):
            shown = outcome(lambda: policy.review(review))
            assert '"allowed": false' in shown, shown
            assert_clean(shown, "review")
    malformed = [
        {"apiVersion": TOKEN, "kind": "AdmissionReview", "request": {}},
        {"apiVersion": "admission.k8s.io/v1", "kind": AWS_KEY},
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "u", "object": PASSWORD, "password": PASSWORD}},
        f'apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {{uid: "{TOKEN}',
        '{"apiVersion": "admission.k8s.io/v1",\n "request": {"object": {"data": {"DB_PASSWORD": "'
        + PASSWORD + '" "x": 1}}}}\n',
        f"apiVersion: admission.k8s.io/v1\nrequest:\n  object:\n    data: {{token: {BEARER}: x}}\n",
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "u", "object": {"data": {TOKEN: float("inf")}}}},
    ]
    for review in malformed:
        shown = outcome(lambda: LEAKY.review(review, file="review.yaml"))
        assert "InputError" in shown, shown
        assert_clean(shown, review)


def test_decide_errors_on_inputs_named_by_secrets() -> None:
    baseline = {"requests": 1000}
    calls = [
        ({"weight": 10, TOKEN: 1}, {"baseline": baseline, "candidate": baseline}),
        ({"weight": 10}, {"baseline": {TOKEN: 1}, "candidate": {AWS_KEY: 2}}),
        ({"weight": 10}, {"baseline": {"api_token": PASSWORD}, "candidate": {"db_password": BEARER}}),
        ({"weight": TOKEN}, {"baseline": baseline, "candidate": baseline}),
        ({"weight": 10, "password": PASSWORD}, {"baseline": baseline, "candidate": baseline}),
        ({"weight": 10}, {"baseline": baseline, "candidate": baseline, AWS_KEY: {}}),
    ]
    for state, metrics in calls:
        for kwargs in ({"policy": "fraud-v2-canary"}, {"policy": TOKEN}):
            shown = outcome(lambda: LIBRARY.decide(state, metrics, **kwargs))
            assert_clean(shown, (state, metrics, kwargs))


BAD_POLICIES = [
    f"  rules:\n    - name: r\n      expr: object.data.x == {TOKEN} +\n",
    f"  rules:\n    - name: r\n      expr: \"'{AWS_KEY}' ==\"\n",
    f"  rules:\n    - name: r\n      expr: 'false'\n      messageExpr: \"{TOKEN}(\"\n",
    f"  rules:\n    - name: r\n      expr: object.{TOKEN}.{AWS_KEY} ++ 1\n",
    f"  rules: {TOKEN}\n",
    f"  {TOKEN}: 1\n",
    f"  rules:\n    - name: r\n      expr: {TOKEN}: x\n",
]


@pytest.mark.parametrize("body", BAD_POLICIES)
def test_policy_errors_that_quote_a_token(body: str, tmp_path: Path) -> None:
    text = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: bad}\nspec:\n" + body
    (tmp_path / "bad.yaml").write_text(text)
    for call in (lambda: assay.Policy.from_yaml(text), lambda: assay.load(tmp_path / "bad.yaml"),
                 lambda: assay.load(tmp_path)):
        with pytest.raises(assay.PolicyError) as e:
            call()
        assert_clean(exposed(e.value), body)
        assert_clean(exposed(e.value.errors), body)


def test_a_guard_rejecting_a_version_logs_and_keeps_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG_MAP)
    caplog.set_level(logging.DEBUG, logger="assay")
    shown = []
    for text in (CONFIG_MAP, BROKEN["token"], BROKEN["password"], BROKEN["pem-block"]):
        path.write_text(text)
        guard = assay.ConfigGuard(path, LEAKY, start=False)
        try:
            guard.reload()
            shown += [exposed(guard.last_error), json.dumps(guard.status(), default=str)]
            if guard.report is not None:
                shown.append(exposed(guard.report))
        finally:
            guard.close()
    assert_clean("\n".join(shown), "guard")
    assert caplog.records, "the guard logged nothing"
    assert_clean("\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records), "log")
