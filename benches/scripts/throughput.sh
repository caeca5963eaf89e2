#!/usr/bin/env bash
# CLI throughput: `assay check` over a directory of 10,000 generated
# manifests, on one core, with the built-in policy library. Prints
# manifests per second (best of 3 runs). Usage: benches/scripts/throughput.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-10000}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p assay-cli
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
python3 benches/scripts/generate_manifests.py "$dir" "$n"
one_core=()
command -v taskset >/dev/null && one_core=(taskset -c 0)
best=""
for _ in 1 2 3; do
  start=$(date +%s%N)
  "${one_core[@]}" "$target/release/assay" check "$dir" -o json >"$dir.out" || test $? -eq 1
  ns=$(( $(date +%s%N) - start ))
  if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
checked=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["documents"], s["checked"])' "$dir.out")
rm -f "$dir.out"
python3 - "$n" "$best" "$checked" <<'PY'
import sys
n, ns, checked = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
docs, checked = checked.split()
print(f"{n} files ({docs} documents, {checked} checked by a policy): "
      f"{ns / 1e6:.0f} ms, {n / (ns / 1e9):,.0f} manifests/s, {ns / 1e3 / n:.1f} µs per manifest")
PY
