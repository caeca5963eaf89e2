"""The example Flask app (examples/flask_app.py) with Flask's test client."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

import assay
from conftest import REPO

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from flask_app import create_app  # noqa: E402

CONFIG_POLICY = assay.Policy.from_yaml("""\
apiVersion: assay.dev/v1
kind: ValidationPolicy
metadata: {name: app-config}
spec:
  schema:
    jsonSchema:
      type: object
      required: [log_level]
      properties:
        log_level: {enum: [debug, info, warn, error]}
""")


@pytest.fixture
def app_and_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "config.yaml"
    config.write_text("log_level: info\n")
    app = create_app(REPO / "policies", config, config_policy=CONFIG_POLICY, interval=0.02)
    yield app, config
    app.extensions["assay_guard"].stop()


def test_health_and_ready_follow_the_guard(app_and_config) -> None:  # type: ignore[no-untyped-def]
    app, config = app_and_config
    client = app.test_client()
    assert client.get("/health").status_code == 200
    r = client.get("/ready")
    assert r.status_code == 200 and r.json["generation"] == 1 and r.json["last_error"] is None

    # A bad version, swapped in whole as the kubelet does (a plain rewrite
    # lets the poller read the truncated, empty file first): rejected, still ready.
    staged = config.with_name("config.yaml.new")
    staged.write_text("log_level: verbose\n")
    os.replace(staged, config)
    guard = app.extensions["assay_guard"]
    deadline = time.monotonic() + 10
    while guard.last_error is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    r = client.get("/ready")
    assert r.status_code == 200 and "verbose" in r.json["last_error"] and r.json["generation"] == 1
    assert client.get("/health").status_code == 200


def test_not_ready_without_a_valid_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("log_level: [\n")
    app = create_app(REPO / "policies", config, config_policy=CONFIG_POLICY, interval=0.02)
    try:
        r = app.test_client().get("/ready")
        assert r.status_code == 503 and r.json["ready"] is False and "parse" in r.json["last_error"]
    finally:
        app.extensions["assay_guard"].stop()


@pytest.mark.parametrize("name, allowed", [("configmap-allowed.json", True), ("configmap-denied.json", False)])
def test_validate_configmap_webhook(app_and_config, name: str, allowed: bool) -> None:  # type: ignore[no-untyped-def]
    app, _ = app_and_config
    review = json.loads((REPO / "examples" / "admission" / name).read_text())
    r = app.test_client().post("/validate-configmap", json=review)
    assert r.status_code == 200
    body = r.json
    assert body["apiVersion"] == "admission.k8s.io/v1" and body["kind"] == "AdmissionReview"
    response = body["response"]
    assert response["uid"] == review["request"]["uid"]
    assert response["allowed"] is allowed
    if not allowed:
        assert response["status"]["code"] == 403 and response["status"]["message"]


def test_webhook_rejects_what_is_not_an_admission_review(app_and_config) -> None:  # type: ignore[no-untyped-def]
    app, _ = app_and_config
    client = app.test_client()
    assert client.post("/validate-configmap", data="not json", content_type="application/json").status_code == 400
    r = client.post("/validate-configmap", json={"kind": "AdmissionReview"})
    assert r.status_code == 400 and r.json["hint"]
