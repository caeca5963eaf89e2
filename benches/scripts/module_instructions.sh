#!/usr/bin/env bash
# Instructions per call of benches/module.rs's check, natively and through
# the module, counted by callgrind: (N calls - 0 calls) / N for each side.
# Unlike times, the counts do not move with the load of a shared machine,
# so they show what a change does to each side. They are not times: the
# ratio of counts is not the ratio of times, though on this VM it has been
# close. Usage: benches/scripts/module_instructions.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-200}"
target="${CARGO_TARGET_DIR:-target}"
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
cargo build --release -q -p assay-benches --example module_ratio
bin="$target/release/examples/module_ratio"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_call() {
  local none all
  none=$(count "$1" 0)
  all=$(count "$1" "$n")
  echo $(( (all - none) / n ))
}
# wasmtime keys its cache by the CPU's features, and valgrind's virtual CPU
# has other ones: compile the module for it once, outside any count.
count native 0 >/dev/null
native=$(per_call native)
module=$(per_call module)
echo "native: $native instructions/call"
echo "module: $module instructions/call"
awk -v m="$module" -v n="$native" 'BEGIN { printf "ratio:  %.3fx\n", m / n }'
