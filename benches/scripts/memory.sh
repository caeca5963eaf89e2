#!/usr/bin/env bash
# Peak memory (max RSS) of `assay check` on one multi-document stream, by
# input size, with the built-in policy library. The stream repeats the
# documents of examples/k8s/ with distinct names. Prints one row per size.
# Streams over 64 MiB are read a chunk of documents at a time; the
# `documents` limit (100,000 per stream) is raised so that every document
# of the largest is checked.
# Usage: benches/scripts/memory.sh [SIZE_MB...]   (default: 1 10 50 100 200)
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 10 50 100 200)
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p assay-cli
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
echo "| input | documents | max RSS | RSS / input | wall time | report (-o json) |"
echo "|---|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
  python3 - "$dir/s.yaml" "$mb" <<'PY'
import glob, sys
out, mb = sys.argv[1], int(sys.argv[2])
parts = []
for f in sorted(glob.glob("examples/k8s/*.yaml")):
    parts += [d.strip() + "\n" for d in open(f).read().split("\n---\n") if d.strip()]
with open(out, "w") as w:
    size, i = 0, 0
    while size < mb << 20:
        doc = parts[i % len(parts)].replace("name: ", f"name: n{i}-", 1)
        w.write(("---\n" if i else "") + doc)
        size += len(doc) + 4
        i += 1
PY
  docs=$(grep -c '^---$' "$dir/s.yaml" || true)
  /usr/bin/time -f "%M %e" -o "$dir/time" "$target/release/assay" check "$dir/s.yaml" -o json --limit documents=10000000 >"$dir/out.json" || test $? -eq 1
  # GNU time writes "Command exited with non-zero status 1" first.
  read -r kb secs < <(tail -n 1 "$dir/time")
  out_mb=$(( $(stat -c %s "$dir/out.json") >> 20 ))
  python3 -c 'import sys; mb,kb,s,d,o=int(sys.argv[1]),int(sys.argv[2]),sys.argv[3],int(sys.argv[4])+1,sys.argv[5]; print(f"| {mb} MB | {d:,} | {kb/1024:.0f} MB | {kb/1024/mb:.1f}x | {s} s | {o} MB |")' "$mb" "$kb" "$secs" "$docs" "$out_mb"
done
