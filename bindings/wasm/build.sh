#!/bin/sh
# Builds the npm package `assay-policy` into bindings/wasm/pkg/ (`make js`):
# the wasm32 builds of this crate, wasm-bindgen's `web` glue, wasm-opt, and
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

# Two builds of the crate (Cargo.toml): for speed, which Node loads, and for
# size, which browsers download. Both take the same JS glue.
for profile in wasm wasm-web; do
	(cd "$root" && "$cargo" build -q --locked -p assay-wasm --target wasm32-unknown-unknown --profile $profile)
done
node_wasm=$target/wasm32-unknown-unknown/wasm/assay_wasm.wasm
web_wasm=$target/wasm32-unknown-unknown/wasm-web/assay_wasm.wasm

# wasm-bindgen and wasm-opt take a minute or two: only when a wasm changed.
sum=$(cat "$node_wasm" "$web_wasm" | sha256sum | cut -d' ' -f1)
if [ ! -f "$pkg/assay_wasm_web.wasm" ] || [ "$(cat "$pkg/.wasm-source" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$pkg" && mkdir -p "$pkg/web"
	"$bindgen" --target web --no-typescript --out-dir "$pkg" --out-name assay_wasm "$node_wasm"
	"$bindgen" --target web --no-typescript --out-dir "$pkg/web" --out-name assay_wasm "$web_wasm"
	if ! cmp -s "$pkg/assay_wasm.js" "$pkg/web/assay_wasm.js"; then
		echo "the speed and size builds of the wasm need different JS glue" >&2
		exit 1
	fi
	mv "$pkg/web/assay_wasm_bg.wasm" "$pkg/assay_wasm_web.wasm" && rm -rf "$pkg/web"
	optimise() {
		"$here/node_modules/.bin/wasm-opt" -Oz --strip-debug --strip-producers "$pkg/$1" -o "$pkg/$1"
	}
	optimise assay_wasm_bg.wasm &
	first=$!
	optimise assay_wasm_web.wasm
	wait $first
	echo "$sum" > "$pkg/.wasm-source"
fi

cp "$here"/js/node.js "$here"/js/web.js "$here"/js/policy.js "$here"/js/index.d.ts "$here"/js/README.md "$pkg"/
crate_version=$(awk -F'"' '/^version = / { print $2; exit }' "$root/Cargo.toml")
sed "s/\"version\": \"[^\"]*\"/\"version\": \"$crate_version\"/" "$here/js/package.json" > "$pkg/package.json"

for wasm in assay_wasm_bg assay_wasm_web; do
	raw=$(wc -c < "$pkg/$wasm.wasm")
	gz=$(gzip -9 -c "$pkg/$wasm.wasm" | wc -c)
	echo "built $pkg/$wasm.wasm: $raw bytes, $gz gzipped"
done
