#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from
the repository's tests and examples. Run from the repository root; the
output is deterministic, and is committed (a few hundred KB at most)."""

import base64, glob, hashlib, json, os, re, shutil

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "fuzz", "corpus")
MAX_FILE = 24_000


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(*patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(ROOT, p), recursive=True))
    return [f for f in out if os.path.isfile(f) and os.path.getsize(f) <= MAX_FILE]


def unquote(v):
    v = v.strip()
    if v.startswith('"'):
        try:
            return json.loads(v)
        except ValueError:
            return v.strip('"')
    if v.startswith("'") and v.endswith("'"):
        return v[1:-1].replace("''", "'")
    return v.split(" #")[0]


# Seeds that found a leak (docs/limits.md, "Fuzzing"): secrets in a Pod's
# annotations, where no secret rule looks, printed in part.
KNOWN_LEAKS = {
    bytes.fromhex("04020003000200083b"): "annotation-pem-crlf-substring",
    bytes.fromhex("040200020202000211"): "annotation-pem-line",
    bytes.fromhex("040503000102010526"): "annotation-token-substring",
}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    yaml_inputs = files("policies/**/tests/*.yaml", "examples/k8s/*.yaml",
                        "cli/tests/fixtures/**/*.yaml", "tests/cases/*.yaml",
                        "examples/admission/*.json", "examples/rollout/*.json",
                        "examples/patches/*.json", "cli/tests/fixtures/dotenv/*.env")
    # parse: YAML, JSON and .env texts; plus the fast path's test snippets.
    for f in yaml_inputs:
        write("parse", read(f))
    for s in ["a: &x 1\nb: *x\n", "a: !!str 1\n", "a: multi\n  line\n", "? complex\n: key\n",
              "a:\tb\n", "a: 1\r\nb: 2\r\n", "\ufeffa: 1\n", "just a scalar\n", "a: 1\n...\n",
              "%YAML 1.2\n---\na: 1\n", "a: [1,\n  2]\n", "a: |2\n   x\n", "- - nested\n",
              "a: b: c\n", "a: 'open\n", "a: 1\na: 2\n", "a: \"\\ud83d\"\n",
              "key:\n- a\n- b: 1\n  c: 2\n-\n- # note\n  d: 3\nnext: x\n",
              "a: |\n  line1\n\n  line3\nb: >-\n  folded\n  text\n\n  para\nc: |+\n  kept\n\n",
              "a: [1, 'two', \"th\\\"ree\", {b: c}, []]\nd: {}\ne: {\"f\":[g]}\n",
              "base: &base\n  name: TOKEN\n  value: v1\nenv:\n  - <<: *base\n    name: OVERRIDE\n",
              "a: 1\n---\nb: *nope\n---\nc: 3\n", "---\n# c\na: 1 # t\nb: x#y\n---\n",
              "KEY=value\nexport OTHER=\"quoted # not a comment\"\n# comment\nEMPTY=\n"]:
        write("parse", s)
    # policy_load: policy files, good and bad.
    policies = files("policies/*.yaml", "tests/cases/*.policy.yaml",
                     "cli/tests/fixtures/**/polic*.yaml", "cli/tests/fixtures/test-cmd/**/*.yaml")
    for f in policies:
        write("policy_load", read(f))
    # cel: EXPR \0 MESSAGE_EXPR \0 DOCUMENT, the expressions of every policy.
    exprs, messages = [], []
    for f in files("policies/*.yaml", "tests/cases/*.policy.yaml", "cli/tests/fixtures/**/*.yaml"):
        for line in read(f).decode(errors="replace").splitlines():
            m = re.match(r"^\s*(?:- )?(expr|messageExpr):\s*(.+)$", line)
            if m and not m.group(2).strip() in ("|", ">", "|-", ">-"):
                (exprs if m.group(1) == "expr" else messages).append(unquote(m.group(2)))
    docs = [read(f) for f in files("examples/k8s/*.yaml")][:4]
    exprs = sorted(set(exprs))
    messages = sorted(set(messages))
    for i, e in enumerate(exprs):
        msg = messages[i % len(messages)] if messages and i % 2 else ""
        doc = docs[i % len(docs)] if i % 3 == 0 else b""
        write("cel", e.encode() + b"\0" + msg.encode() + b"\0" + doc)
    for e in ["object.spec.template.spec.containers.all(c, c.image.contains(':'))",
              "quantity(object.spec.template.spec.containers[0].resources.limits.memory).isLessThan(quantity('1Gi'))",
              "isURL('https://x') && url('https://x:8080/p').getPort() == '8080'",
              "'1.2.3.4'.matches('^[0-9.]+$') && ip('10.0.0.1').family() == 4",
              "object.metadata.labels.exists(k, k.startsWith('app'))",
              "[1, 2, 3].map(x, x * 2).sum() == 12",
              "object.?spec.?replicas.orValue(1) <= 5",
              "format('%s-%d', [object.metadata.name, 3]) == 'web-3'",
              "base64.decode('aGk=') == b'hi'"]:
        write("cel", e.encode() + b"\0'replicas: ' + string(object.spec.replicas)\0")
    # patch: FLAGS BASE \0 PATCH.
    base = read(os.path.join(ROOT, "examples/k8s/ml-pipeline-config.yaml"))
    merge = read(os.path.join(ROOT, "examples/patches/fast-updates-patch.json"))
    write("patch", b"\x00" + base + b"\0" + merge)
    write("patch", b"\x06" + base + b"\0data:\n  LOG_LEVEL: INFO\n  extra: null\n")
    write("patch", b"\x01" + base + b"\0" + json.dumps([
        {"op": "replace", "path": "/data/LOG_LEVEL", "value": "DEBUG"},
        {"op": "add", "path": "/metadata/labels", "value": {"a": "b"}},
        {"op": "remove", "path": "/data/MODEL_UPDATE_INTERVAL"},
        {"op": "test", "path": "/kind", "value": "ConfigMap"}]).encode())
    write("patch", b"\x05" + base + b"\0" + json.dumps([
        {"op": "move", "from": "/data", "path": "/stringData"},
        {"op": "copy", "from": "/metadata", "path": "/meta2"}]).encode())
    for f in files("cli/tests/fixtures/upgrade/*.yaml")[:3]:
        write("patch", b"\x00" + read(f) + b"\0{\"spec\": {\"replicas\": 2}}")
    # decide: FLAGS INPUT.
    example = read(os.path.join(ROOT, "examples/rollout/fraud-v2-production.json"))
    for flags in [0, 1, 2, 5, 6, 9, 15]:
        write("decide", bytes([flags]) + example)
    healthy = {"baseline": {"requests": 52000, "error_rate": 0.004, "latency_p99_ms": 210,
                            "samples": {"precision": [0.92, 0.93, 0.91], "latency": [1, 2, 3]}},
               "candidate": {"requests": 5200, "error_rate": 0.02, "latency_p99_ms": 330,
                             "samples": {"precision": [0.81, 0.83, 0.82], "latency": [1, 2, 3]}}}
    for state in [{"weight": 0}, {"weight": 50, "failedChecks": 2}, {"weight": 100},
                  {"weight": 7.5, "failedChecks": 0}, {"weight": -1}, {"weight": 1e300}]:
        write("decide", b"\x01" + json.dumps({"state": state, "metrics": healthy}).encode())
        write("decide", b"\x06" + json.dumps({"env": "staging", "state": state, "metrics": healthy}).encode())
    write("decide", b"\x01{\"state\": {\"weight\": 10}, \"metrics\": {\"baseline\": {}, \"candidate\": {\"requests\": \"x\"}}}")
    write("decide", b"\x02not json")
    # module_abi: call-API requests.
    def req(r):
        write("module_abi", json.dumps(r))
    req({"call": "describe"})
    for f in files("examples/k8s/*.yaml")[:4] + files("policies/secrets/tests/secret-*.yaml")[:2]:
        req({"call": "check", "input": read(f).decode(), "file": os.path.basename(f), "env": "production"})
    req({"call": "check", "input": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
                                    "data": {"GITHUB_TOKEN": "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n"}}})
    req({"call": "check", "input": "a: 1\n", "old": "a: 2\n", "oldFile": "old.yaml"})
    req({"call": "checkPatch", "base": {"file": "b.yaml", "text": base.decode()},
         "patch": {"file": "p.json", "text": merge.decode()}, "patchType": "merge", "env": "dev"})
    req({"call": "decide", "input": example.decode(), "policy": "fraud-v2-canary"})
    req({"call": "decide", "input": json.loads(example), "env": "staging", "policy": "inference-canary"})
    for f in files("examples/admission/*.json"):
        req({"call": "review", "review": read(f).decode(), "env": "production"})
    write("module_abi", b'{"call": "nope"}')
    write("module_abi", b'{"call": "check", "input": "\\u00ff\\u0000: [", "unknown": 1}')
    # redaction: KIND TOKEN_KEY TOKEN_WRAP PASSWORD_KEY PEM_KEY PEM_WRAP FORMAT TEMPLATE N EXPR.
    for kind in range(5):
        for template in range(10):
            head = bytes([kind, template % 6, (kind + template) % 6, template % 5,
                          (kind * 3 + template) % 4, template % 3, template & 1, template, 7 * template + 3])
            name = KNOWN_LEAKS.get(head)
            if name:
                # A known bug: replayed from regressions/, not a seed.
                d = os.path.join(ROOT, "fuzz", "regressions", "redaction")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, name), "wb") as f:
                    f.write(head)
            else:
                write("redaction", head)
    for expr in ["'all: ' + $T + $O + $P", "$O.split('').join('-')", "$T.replace('ghp_', '')",
                 "$P.split('\\n').map(l, l.substring(1)).join(' ')", "string(size($O)) + $O.substring(2, 30)",
                 "$T.lowerAscii()", "[$O, $O].join('')"]:
        for kind in (0, 2, 3):
            write("redaction", bytes([kind, 0, 1, 0, 0, 1, kind & 1, 0x80, 0]) + expr.encode())


main()
