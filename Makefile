# The two commands of the README: `make demo` and `make test`.
# Each installs what it needs and can be run again.

CARGO ?= cargo
ASSAY := target/release/assay

.PHONY: demo test setup-rust build lint test-rust test-wasm test-policies js test-js setup-chromium

demo: setup-rust
	$(CARGO) build --release -q -p assay-cli
	@echo "== assay check examples/k8s/ (built-in policy library) =="
	@$(ASSAY) check examples/k8s/; code=$$?; \
	  echo "exit code $$code (0 pass, 1 findings of severity error, 2 usage or policy error)"; \
	  test $$code -le 1

setup-rust:
	@rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

test: setup-rust lint test-wasm test-rust test-policies test-js

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings

# core has no I/O and must keep building for the browser and module hosts.
test-wasm:
	$(CARGO) build -q -p assay-core --target wasm32-unknown-unknown

test-policies:
	$(CARGO) run -q -p assay-cli -- test policies

test-rust:
	$(CARGO) test -q --workspace

# The npm package `assay-policy` (Node and browsers) in bindings/wasm/pkg/.
js: setup-rust
	sh bindings/wasm/build.sh

# Its Node tests (API, differential against the debug CLI that test-policies
# builds, npm pack, TypeScript, webhook example, headless Chromium).
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
test-js: js setup-chromium
	$(CARGO) build -q -p assay-cli
	cd bindings/wasm && ASSAY_BIN=$(TARGET_DIR)/debug/assay node --test test/

# Debian's Chromium, for the browser tests (never a downloaded browser build).
setup-chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
