# The two commands of the README: `make demo` and `make test`.
# Each installs what it needs and can be run again.

CARGO ?= cargo
ASSAY := target/release/assay

.PHONY: demo test setup-rust build lint test-rust test-wasm test-policies differential-corpus js test-js setup-chromium setup-python test-python playground build-playground test-playground fuzz

demo: setup-rust
	$(CARGO) build --release -q -p assay-cli
	@echo "== assay check examples/k8s/ (built-in policy library) =="
	@$(ASSAY) check examples/k8s/; code=$$?; \
	  echo "exit code $$code (0 pass, 1 findings of severity error, 2 usage or policy error)"; \
	  test $$code -le 1

setup-rust:
	@rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

test: setup-rust lint test-wasm test-rust test-policies test-python test-js test-playground

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings

# core has no I/O and must keep building for the browser and module hosts.
test-wasm:
	$(CARGO) build -q -p assay-core --target wasm32-unknown-unknown

test-policies:
	$(CARGO) run -q -p assay-cli -- test policies

# Generated cases (policies, documents, environments, previous versions)
# drawn with a fixed seed, each with native evaluation's answer
# (tests/examples/gen_differential.rs): the Python, JS and CLI hosts are
# held to them by bindings/python/tests/test_generated.py and
# bindings/wasm/test/generated.test.mjs.
DIFF_CORPUS = $(TARGET_DIR)/differential-corpus.json
differential-corpus:
	$(CARGO) run -q -p assay-tests --example gen_differential -- $(DIFF_CORPUS)

test-rust:
	$(CARGO) test -q --workspace

# The npm package `assay-policy` (Node and browsers) in bindings/wasm/pkg/.
js: setup-rust
	sh bindings/wasm/build.sh

# Its Node tests (API, differential against the debug CLI that test-policies
# builds, generated cases against native answers, npm pack, TypeScript,
# webhook example, headless Chromium); then the two differential tests again
# on the browsers' wasm build.
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
test-js: js setup-chromium differential-corpus
	$(CARGO) build -q -p assay-cli
	cd bindings/wasm && ASSAY_BIN=$(TARGET_DIR)/debug/assay ASSAY_DIFF_CORPUS=$(DIFF_CORPUS) node --test test/
	cd bindings/wasm && ASSAY_BIN=$(TARGET_DIR)/debug/assay ASSAY_DIFF_CORPUS=$(DIFF_CORPUS) ASSAY_JS_WASM=web \
	  node --test test/differential.test.mjs test/generated.test.mjs

# Debian's Chromium, for the browser tests (never a downloaded browser build).
setup-chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Python package (bindings/python): a venv with maturin, pytest,
# flask and numpy (ML code hands `decide` numpy metrics); the extension built by pip through maturin's PEP 517 backend, as
# `pip install ./bindings/python` does, but in the dev profile so that it
# reuses what `cargo test` built (a release build compiles every crate again);
# then its pytest suite, which compares answers with the CLI's.
VENV := .venv
PYTHON ?= python3
PY_PROFILE ?= dev
PY_DEPS := "maturin>=1.9,<2" "pytest>=7" "flask>=2.3" "numpy>=1.24"

setup-python:
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV) || \
	  { apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	@test -f $(VENV)/.deps-2 || { $(VENV)/bin/pip install -q $(PY_DEPS) && touch $(VENV)/.deps-2; }

test-python: setup-python differential-corpus
	$(CARGO) build -q -p assay-cli
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" MATURIN_PEP517_ARGS="--profile $(PY_PROFILE)" \
	  $(VENV)/bin/pip install -q --no-build-isolation --force-reinstall --no-deps ./bindings/python
	ASSAY_BIN=$(TARGET_DIR)/debug/assay ASSAY_DIFF_CORPUS=$(DIFF_CORPUS) \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider bindings/python/tests

# The web policy editor (bindings/wasm/playground/): CodeMirror 6 and the
# package, bundled by esbuild into playground/dist/. `make playground`
# serves it on localhost (PORT=8080 by default).
PLAYGROUND := bindings/wasm/playground
build-playground: js
	@if [ ! -f $(PLAYGROUND)/node_modules/.package-lock.json ] \
	  || [ $(PLAYGROUND)/package-lock.json -nt $(PLAYGROUND)/node_modules/.package-lock.json ]; then \
	  cd $(PLAYGROUND) && npm ci --no-audit --no-fund --loglevel=error; fi
	cd $(PLAYGROUND) && node build.mjs

playground: build-playground
	node $(PLAYGROUND)/serve.mjs

# The page in Debian's headless Chromium, driven by playwright-core.
test-playground: build-playground setup-chromium
	cd $(PLAYGROUND) && node --test test/

# Fuzzing (docs/limits.md, "Fuzzing"): each cargo-fuzz target of fuzz/ for
# FUZZ_TIME seconds, one job, on the nightly toolchain this installs. A run
# grows a scratch corpus, fuzz/scratch/<target>/ (ignored by git), seeded
# from fuzz/corpus/<target>/, which it never writes to; crashes go to
# fuzz/artifacts/<target>/. `make test` replays the seeds and the crash
# regressions (fuzz/regressions/) on stable (tests/fuzz_replay.rs).
FUZZ_TIME ?= 180
FUZZ_TARGETS ?= parse policy_load cel patch decide module_abi redaction
FUZZ_SANITIZER ?= none
# Extra libFuzzer flags, e.g. "-fork=1 -ignore_crashes=1" to go on past a known crash.
FUZZ_ARGS ?=
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@rustup +nightly target list --installed | grep -q wasm32-unknown-unknown || rustup +nightly target add wasm32-unknown-unknown
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	cd fuzz && $(CARGO) +nightly fuzz build -s $(FUZZ_SANITIZER)
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/scratch/$$t; echo "== fuzz $$t for $(FUZZ_TIME)s"; \
	  (cd fuzz && $(CARGO) +nightly fuzz run -s $(FUZZ_SANITIZER) $$t scratch/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_TIME) -timeout=60 -print_final_stats=1 $(FUZZ_ARGS)) || failed="$$failed $$t"; \
	done; test -z "$$failed" || { echo "crashes in:$$failed (see fuzz/artifacts/)"; exit 1; }
