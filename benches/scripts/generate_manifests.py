#!/usr/bin/env python3
"""Writes N generated Kubernetes manifests, one per file, for the CLI
throughput benchmark: ML pipeline ConfigMaps with an embedded config.yaml
(the criterion fixture), app-config ConfigMaps, fraud-model ConfigMaps and
model-serving Deployments, in namespaces that vary so no two files are equal.

usage: generate_manifests.py OUT_DIR [N]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ML_CONFIGMAP = open(os.path.join(HERE, "..", "fixtures", "ml-configmap.yaml")).read()

APP_CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: {ns}
data:
  config.yaml: |
    log_level: info
    database:
      host: postgres.{ns}.svc
      port: 5432
      pool_size: {pool}
    features:
      new_ui: true
"""

FRAUD_CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: fraud-model-config
  namespace: {ns}
data:
  model-version: v2.{i}
  traffic-split-baseline: "80"
  traffic-split-candidate: "20"
  threshold: "0.85"
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: model-engine
  namespace: {ns}
  labels: {{app: model-engine}}
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}
  selector:
    matchLabels: {{app: model-engine}}
  template:
    metadata:
      labels: {{app: model-engine}}
    spec:
      containers:
        - name: model-engine
          image: registry.example.com/model-engine:v1.{i}
          ports:
            - containerPort: 8080
          env:
            - {{name: REDIS_HOST, value: redis.{ns}.svc}}
            - {{name: MODEL_NAME, value: fraud_detector}}
          readinessProbe:
            httpGet: {{path: /ready, port: 8080}}
            periodSeconds: 5
          resources:
            requests: {{cpu: "1", memory: 2Gi}}
            limits: {{cpu: "2", memory: 4Gi}}
"""


def main() -> None:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        ns = f"team-{i % 97}-{i}"
        kind = i % 10
        if kind < 4:
            text = ML_CONFIGMAP.replace("namespace: ml-pipeline-prod", f"namespace: {ns}")
        elif kind < 6:
            text = APP_CONFIG.format(ns=ns, pool=10 + i % 90)
        elif kind < 7:
            text = FRAUD_CONFIG.format(ns=ns, i=i)
        else:
            text = DEPLOYMENT.format(ns=ns, i=i)
        with open(os.path.join(out, f"m{i:05}.yaml"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
