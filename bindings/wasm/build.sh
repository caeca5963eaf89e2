#!/bin/sh
# Builds the npm package `assay-policy` into bindings/wasm/pkg/ (`make js`):
# the wasm32 build of this crate, wasm-bindgen's `web` glue, wasm-opt, and
# the hand-written wrapper in js/. Installs wasm-bindgen-cli at exactly the
# version of the `wasm-bindgen` crate in Cargo.lock when it is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cargo=${CARGO:-cargo}
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
pkg=$here/pkg

# wasm-bindgen-cli must match the crate: their ABI changes between versions.
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
bindgen=${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen
if [ "$("$bindgen" --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
	echo "installing wasm-bindgen-cli $version (once; a few minutes)"
	# --locked can fail when the registry lacks a locked dependency's version.
	"$cargo" install -q wasm-bindgen-cli --version "$version" --locked \
		|| "$cargo" install -q wasm-bindgen-cli --version "$version"
fi

# Tools from npm (binaryen's wasm-opt, typescript), pinned by package-lock.json.
if [ ! -f "$here/node_modules/.package-lock.json" ] \
	|| [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

(cd "$root" && "$cargo" build -q --locked -p assay-wasm --target wasm32-unknown-unknown --profile wasm)
wasm=$target/wasm32-unknown-unknown/wasm/assay_wasm.wasm

# wasm-bindgen and wasm-opt take a minute or two: only when the wasm changed.
sum=$(sha256sum "$wasm" | cut -d' ' -f1)
if [ ! -f "$pkg/assay_wasm_bg.wasm" ] || [ "$(cat "$pkg/.wasm-source" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$pkg" && mkdir -p "$pkg"
	"$bindgen" --target web --no-typescript --out-dir "$pkg" --out-name assay_wasm "$wasm"
	"$here/node_modules/.bin/wasm-opt" -Oz --strip-debug --strip-producers \
		"$pkg/assay_wasm_bg.wasm" -o "$pkg/assay_wasm_bg.wasm"
	echo "$sum" > "$pkg/.wasm-source"
fi

cp "$here"/js/node.js "$here"/js/web.js "$here"/js/policy.js "$here"/js/index.d.ts "$here"/js/README.md "$pkg"/
crate_version=$(awk -F'"' '/^version = / { print $2; exit }' "$root/Cargo.toml")
sed "s/\"version\": \"[^\"]*\"/\"version\": \"$crate_version\"/" "$here/js/package.json" > "$pkg/package.json"

raw=$(wc -c < "$pkg/assay_wasm_bg.wasm")
gz=$(gzip -9 -c "$pkg/assay_wasm_bg.wasm" | wc -c)
echo "built $pkg: assay_wasm_bg.wasm $raw bytes, $gz gzipped"
