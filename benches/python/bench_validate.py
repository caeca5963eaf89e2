"""validate(dict) in Python: assay against jsonschema and jsonschema-rs.

Run from the repository root, in a venv with the package built in release
(`pip install ./bindings/python`) and the peers installed:

    pip install jsonschema jsonschema-rs
    python benches/python/bench_validate.py [--quick]

The document is benches/fixtures/ml-configmap.yaml (the criterion benches'
2 KB ML ConfigMap) as a dict. Comparisons use one JSON Schema (SCHEMA below)
for all three validators, so they do the same work: assay runs it as a
policy with nothing but that schema. The full benchmark policy
(benches/fixtures/ml-policy.yaml: schema with coercion, the embedded file
parsed and checked, 5 CEL rules) is timed too. Each figure is the best of
`repeat` runs of `number` calls (timeit), per call.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time
import timeit
from pathlib import Path

import assay

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "benches" / "fixtures"

# The ConfigMap's shape: metadata, and every data key with its type or form.
# Values are strings (ConfigMap data), so numbers are checked by pattern.
INT = {"type": "string", "pattern": "^[0-9]+$"}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "data"],
    "properties": {
        "apiVersion": {"const": "v1"},
        "kind": {"const": "ConfigMap"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253},
                "namespace": {"type": "string", "maxLength": 63},
                "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "data": {
            "type": "object",
            "required": ["PRELOAD_MODELS", "LOG_LEVEL", "config.yaml"],
            "properties": {
                "PRELOAD_MODELS": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$"},
                "MODEL_AUTO_UPDATE": {"enum": ["true", "false"]},
                "MODEL_UPDATE_INTERVAL": INT,
                "LOG_LEVEL": {"enum": ["DEBUG", "INFO", "WARNING", "ERROR"]},
                "API_WORKERS": INT,
                "BATCH_SIZE": INT,
                "FEATURE_STORE_TTL": INT,
                "MODEL_CACHE_SIZE": INT,
                "MLFLOW_TRACKING_URI": {"type": "string", "pattern": "^https?://"},
                "FEATURE_STORE_HOST": {"type": "string", "minLength": 1},
                "config.yaml": {"type": "string", "minLength": 1},
                "ALERT_CHANNEL": {"type": "string", "pattern": "^#"},
                "DRIFT_CHECK_CRON": {"type": "string"},
            },
            "additionalProperties": False,
        },
    },
}


def schema_policy(schema: dict) -> assay.Policy:
    doc = {"apiVersion": "assay.dev/v1", "kind": "ValidationPolicy",
           "metadata": {"name": "bench-schema-only"}, "spec": {"schema": {"jsonSchema": schema}}}
    return assay.Policy.from_yaml(json.dumps(doc), file="schema-only.json")


def per_call(fn, number: int, repeat: int) -> float:
    """Best of `repeat` runs, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def threaded_throughput(fn, threads: int, seconds: float) -> float:
    """Calls per second with `threads` threads calling `fn`."""
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def work(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            for _ in range(50):
                fn()
            n += 50
        counts[i] = n

    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    number, repeat = (200, 3) if args.quick else (2000, 7)

    text = (FIXTURES / "ml-configmap.yaml").read_text()
    [doc] = assay.parse(text)
    print(f"document: {len(text)} bytes of YAML, {len(json.dumps(doc))} bytes as JSON")
    print(f"python {platform.python_version()}, assay {assay.__version__}")

    only_schema = schema_policy(SCHEMA)
    full = assay.load(FIXTURES / "ml-policy.yaml")
    unmatched = assay.Policy.from_yaml(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: nothing}\n"
        "spec: {match: {kinds: [NoSuchKind]}, rules: [{name: r, expr: 'true'}]}\n")
    # Every validator must accept the document, and reject a broken one.
    bad = json.loads(json.dumps(doc))
    bad["data"]["LOG_LEVEL"] = "TRACE"
    assert only_schema.validate(doc).verdict == "pass" and only_schema.validate(bad).verdict == "fail"
    assert full.validate(doc, env="production").verdict == "pass"

    rows: list[tuple[str, float]] = []

    def bench(name: str, fn) -> float:
        t = per_call(fn, number, repeat)
        rows.append((name, t))
        print(f"{name:<58} {t:9.2f} µs")
        return t

    a_schema = bench("assay validate(dict), schema only (read in place)", lambda: only_schema.validate(doc))
    bench("assay validate([dict]), schema only (converted)", lambda: only_schema.validate([doc]))
    bench("assay validate(dict), schema only, failing (in place, then converted)",
          lambda: only_schema.validate(bad))
    bench("assay validate(dict), full policy (schema+embedded+5 rules)",
          lambda: full.validate(doc, env="production"))
    bench("assay validate(text), full policy (parse with positions)",
          lambda: full.validate(text, env="production"))
    noop = bench("assay validate(dict), no policy applies (call overhead)", lambda: unmatched.validate(doc))
    fixed = bench("assay validate([]), nothing to convert or check", lambda: unmatched.validate([]))
    bench("assay validate(dict) + report.to_dict(), schema only", lambda: only_schema.validate(doc).to_dict())

    ratios = {}
    try:
        from jsonschema import Draft202012Validator

        Draft202012Validator.check_schema(SCHEMA)
        v = Draft202012Validator(SCHEMA)
        assert v.is_valid(doc) and not v.is_valid(bad)
        py = bench("jsonschema Draft202012Validator.validate", lambda: v.validate(doc))
        bench("jsonschema Draft202012Validator.is_valid", lambda: v.is_valid(doc))
        ratios["jsonschema / assay (schema only)"] = py / a_schema
    except ImportError:
        print("jsonschema not installed: skipped")
    try:
        import jsonschema_rs

        rs = jsonschema_rs.Draft202012Validator(SCHEMA)
        assert rs.is_valid(doc) and not rs.is_valid(bad)
        t_rs = bench("jsonschema-rs Draft202012Validator.validate", lambda: rs.validate(doc))
        bench("jsonschema-rs Draft202012Validator.is_valid", lambda: rs.is_valid(doc))
        ratios["jsonschema-rs / assay (schema only)"] = t_rs / a_schema
    except ImportError:
        print("jsonschema-rs not installed: skipped")

    for name, r in ratios.items():
        print(f"{name:<58} {r:9.2f}x")
    print(f"{'call overhead (no policy applies)':<58} {noop:9.2f} µs")
    print(f"{'  of which converting the dict (minus validate([]))':<58} {noop - fixed:9.2f} µs")

    if not args.quick:
        one = threaded_throughput(lambda: full.validate(doc, env="production"), 1, 3.0)
        two = threaded_throughput(lambda: full.validate(doc, env="production"), 2, 3.0)
        print(f"threads: 1 → {one:,.0f}/s, 2 → {two:,.0f}/s ({two / one:.2f}x; the GIL is released while evaluating)")


if __name__ == "__main__":
    sys.exit(main())
