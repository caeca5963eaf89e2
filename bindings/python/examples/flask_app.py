"""A Flask service guarded by assay (seed 003's strategies 1, 3 and 4):

- the app's config file (a mounted ConfigMap) is validated before each
  reload and applied only when it passes; the last good config is kept;
- `/health` (liveness) and `/ready` (readiness) are backed by the guard;
- `/validate-configmap` is a validating admission webhook: AdmissionReview
  in, AdmissionReview response out, decided by the same policies.

Run:  ASSAY_POLICIES=policies/ APP_CONFIG=/etc/config/config.yaml \
      APP_CONFIGMAP=app-config ASSAY_ENV=production python flask_app.py
(behind TLS in a cluster: the API server only calls webhooks over HTTPS)
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, jsonify, request

import assay


def create_app(
    policies: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    *,
    config_policy: assay.Policy | None = None,
    configmap: str | None = None,
    env: str | None = None,
    reload_delay: float = 0.0,
    interval: float = 1.0,
) -> Flask:
    """`policies` decide admission; `config_policy` (default: the same)
    validates the app's own config file, checked as the ConfigMap
    `configmap` it is mounted from when that is given."""
    app = Flask(__name__)
    policy = assay.load(policies)
    applied: dict[str, Any] = {}

    def apply_config(config: Any) -> None:
        # A real app would resize pools, change log levels, ... here.
        level = str(config.get("log_level", "info")).upper() if isinstance(config, dict) else "INFO"
        app.logger.setLevel(getattr(logging, level if level != "WARN" else "WARNING", logging.INFO))
        applied["config"] = config

    guard = assay.ConfigGuard(config_path, config_policy or policy, apply_config, env=env,
                              configmap=configmap, reload_delay=reload_delay, interval=interval)
    app.extensions["assay_guard"] = guard
    app.extensions["assay_policy"] = policy

    @app.get("/health")
    def health() -> Any:
        # Liveness: the process serves. A rejected config must not restart
        # pods (that would turn one bad ConfigMap into an outage).
        return jsonify(status="healthy", generation=guard.generation), 200

    @app.get("/ready")
    def ready() -> Any:
        status = guard.status()
        if not status["ready"]:
            return jsonify(status="not ready", reason="no valid configuration loaded", **status), 503
        # Ready on the last good config, and saying so when a newer one was rejected.
        return jsonify(status="ready", **status), 200

    @app.post("/validate-configmap")
    def validate_configmap() -> Any:
        review = request.get_json(silent=True)
        if review is None:
            return jsonify(error="expected an AdmissionReview JSON body"), 400
        try:
            return jsonify(policy.review(review, env=env))
        except assay.InputError as e:
            return jsonify(error=str(e), hint=e.hint), 400

    return app


if __name__ == "__main__":
    create_app(os.environ.get("ASSAY_POLICIES", "policies"),
               os.environ.get("APP_CONFIG", "/etc/config/config.yaml"),
               configmap=os.environ.get("APP_CONFIGMAP"),
               env=os.environ.get("ASSAY_ENV")).run(host="0.0.0.0", port=8080)
