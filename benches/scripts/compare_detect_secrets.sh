#!/usr/bin/env bash
# Scores Yelp's detect-secrets and assay on tests/secrets-corpus/ against the
# same labels (tests/secrets-corpus/labels.yaml), by (file, line).
#
# The task scored is "credentials leaked into config": the labels of rule
# secret-in-configmap. Lines inside `kind: Secret` documents are left out for
# both tools (a Secret holding a secret is not a leak; assay's Secret rules
# are scored by tests/secrets_corpus.rs). detect-secrets runs with its
# default plugins and filters, as `detect-secrets scan` does.
#
# Usage: benches/scripts/compare_detect_secrets.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/detect-secrets-venv
if [ ! -x "$VENV/bin/detect-secrets" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q detect-secrets
fi
"$VENV/bin/detect-secrets" --version
cargo build -q --release -p assay-cli
OUT=target/detect-secrets-compare
mkdir -p "$OUT"
(cd tests/secrets-corpus && "../../$VENV/bin/detect-secrets" scan --all-files .) > "$OUT/detect-secrets.json"
./target/release/assay check -p policies/secrets/secret-hygiene.yaml -o json tests/secrets-corpus/ > "$OUT/assay.json" || true

python3 - "$OUT" <<'PY'
import json, os, re, sys
out = sys.argv[1]
corpus = "tests/secrets-corpus"

def secret_doc_lines(path):
    """Lines of `kind: Secret` documents, left out of the scoring."""
    lines = open(path).read().split("\n")
    skip, start, doc = set(), 0, []
    def close(end):
        if any(re.match(r"^kind:\s*Secret\s*$", l) for l in lines[start:end]):
            skip.update(range(start + 1, end + 1))
    for i, l in enumerate(lines):
        if l.startswith("---"):
            close(i)
            start = i + 1
    close(len(lines))
    return skip

labels = set()
for l in open(os.path.join(corpus, "labels.yaml")):
    m = re.search(r"file: ([^,]+), path: ([^,]+), rule: secret-in-configmap, line: (\d+)", l)
    if m:
        labels.add((m.group(1), int(m.group(3))))
files = [f for f in os.listdir(corpus) if f.endswith(".yaml") and f != "labels.yaml"]
skip = {f: secret_doc_lines(os.path.join(corpus, f)) for f in files}

def block_header(path, line):
    """The `key: |` line of the block scalar holding `line`, if any:
    detect-secrets reports a block's secrets on that line."""
    lines = open(path).read().split("\n")
    indent = lambda l: len(l) - len(l.lstrip(" "))
    here = indent(lines[line - 1])
    for i in range(line - 2, -1, -1):
        l = lines[i]
        if not l.strip() or indent(l) >= here:
            continue
        if re.search(r":\s*[|>][-+0-9]*\s*$", l):
            return i + 1
        if re.match(r"^\s*[-\w.\"]+:\s", l + " "):
            return None  # a YAML key of the manifest: not inside a block
        here = indent(l)
    return None

# Each label may be reported on its own line or on its block's header line.
keys = {lab: {lab} | ({(lab[0], h)} if (h := block_header(os.path.join(corpus, lab[0]), lab[1])) else set())
        for lab in labels}

def score(name, found):
    found = {(f, l) for f, l in found if f in skip and l not in skip[f]}
    matched = {lab for lab, ks in keys.items() if ks & found}
    true_hits = {h for h in found if any(h in ks for ks in keys.values())}
    p = len(true_hits) / len(found) if found else 0.0
    r = len(matched) / len(labels) if labels else 0.0
    print(f"{name:16} labelled {len(labels):3}  reported lines {len(found):3}  true {len(true_hits):3}  labels found {len(matched):3}  precision {p:.3f}  recall {r:.3f}")
    for fp in sorted(found - true_hits):
        print(f"    false positive {fp[0]}:{fp[1]}")
    for fn in sorted(set(labels) - matched):
        print(f"    missed         {fn[0]}:{fn[1]}")

ds = json.load(open(os.path.join(out, "detect-secrets.json")))
ds_found = set()
for f, results in ds["results"].items():
    for r in results:
        ds_found.add((os.path.basename(f), r["line_number"]))
score("detect-secrets", ds_found)

assay = json.load(open(os.path.join(out, "assay.json")))
assay_found = set()
for res in assay["results"]:
    for f in res["findings"]:
        if f["rule"] == "secret-in-configmap" and "line" in f:
            assay_found.add((os.path.basename(res["file"]), f["line"]))
score("assay", assay_found)
PY
