# Confide: build, test, demo, bench. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

WASM_TARGET := wasm32-unknown-unknown
WASM_OUT := target/$(WASM_TARGET)/release/confide_wasm.wasm
# Argon2id for backups, a module of its own (wasm-kdf/), fetched only when a backup is made or opened.
KDF_OUT := target/$(WASM_TARGET)/release/confide_kdf_wasm.wasm
PKG_VERSION := $(shell node -p "require('./js/package.json').version")
TARBALL := build/confide-$(PKG_VERSION).tgz
# wasm-opt from the npm package `binaryen` (Debian's 108 breaks wasm-bindgen output).
WASM_OPT := npx --no-install wasm-opt -Oz --enable-simd --enable-bulk-memory --enable-sign-ext \
	--enable-nontrapping-float-to-int --enable-mutable-globals --enable-reference-types --enable-multivalue

# The reference server's binary (make demo, make test-e2e).
SERVER_BIN := $(or $(CARGO_TARGET_DIR),target)/release/confide-server
DEMO_ADDR := 127.0.0.1:8080

.PHONY: build build-hazmat server test test-rust test-server test-server-services test-wasm test-js test-bundlers test-e2e test-fuzz fuzz screenshots lint demo bench bench-server clean

node_modules: package-lock.json
	npm ci
	touch node_modules

## build: the npm package in js/ (wasm + TypeScript), packed into build/.
build: node_modules
	cargo build -p confide-wasm --target $(WASM_TARGET) --release
	@# Its own cargo call: built together, the core's argon2 feature would be unified into both.
	cargo build -p confide-kdf-wasm --target $(WASM_TARGET) --release
	rm -rf js/wasm && wasm-bindgen --target web --out-dir js/wasm --out-name confide_wasm $(WASM_OUT)
	wasm-bindgen --target web --out-dir js/wasm --out-name confide_kdf $(KDF_OUT)
	$(WASM_OPT) js/wasm/confide_wasm_bg.wasm -o js/wasm/confide_wasm_bg.wasm
	$(WASM_OPT) js/wasm/confide_kdf_bg.wasm -o js/wasm/confide_kdf_bg.wasm
	@# The module every page loads carries no Argon2 (SECURITY.md#memory).
	! grep -q "function argon2Stretch" js/wasm/confide_wasm.js || (echo "argon2 in the main wasm module" && false)
	cd js && rm -rf dist && npx --no-install tsc -p .
	mkdir -p build && cp README.md js/README.md
	npm pack ./js --pack-destination build --silent >/dev/null
	rm js/README.md
	@echo "built $(TARBALL)"

## server: the reference storage server, release build.
server:
	cargo build --release -p confide-server

## build-hazmat: a test-only copy of the package whose wasm exposes content keys.
build-hazmat: build
	cargo build -p confide-wasm --target $(WASM_TARGET) --release --features hazmat
	rm -rf build/hazmat && mkdir -p build/hazmat
	wasm-bindgen --target web --out-dir build/hazmat/wasm --out-name confide_wasm $(WASM_OUT)
	cp js/wasm/confide_kdf* build/hazmat/wasm/
	cd js && npx --no-install tsc -p tsconfig.hazmat.json
	node -e "const p=require('./js/package.json');p.name='confide-hazmat';p.exports['./hazmat']='./dist/hazmat.js';require('fs').writeFileSync('build/hazmat/package.json',JSON.stringify(p,null,2))"
	# Rebuild the release wasm so js/wasm and the tarball stay hazmat-free.
	cargo build -p confide-wasm --target $(WASM_TARGET) --release

## test: everything — Rust, wasm in Node/Chromium/Firefox, JS against the packed package,
## consumer apps in bundlers, e2e.
test: lint test-rust test-server-services test-wasm test-js test-bundlers test-e2e test-fuzz

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p confide-wasm --target $(WASM_TARGET) -- -D warnings
	cargo clippy -p confide-kdf-wasm --target $(WASM_TARGET) -- -D warnings
	@! grep -rn "wasm_bindgen" src --include=*.rs || (echo "wasm_bindgen in the core" && false)

test-rust:
	cargo test --workspace
	@# The vectors again with content keys compared, and Wycheproof through the raw chunked layer (test-only hazmat API).
	cargo test --features hazmat --test vectors --test wycheproof --test cases
	rm -rf build/vectors && cargo run -q --example make-vectors --features hazmat -- build/vectors
	@# tests/vectors/v1 holds frozen records of version 1: kept as written, never regenerated.
	diff -r -x v1 tests/vectors build/vectors || (echo "tests/vectors drifted from the generator" && false)

## test-server: the storage server's tests on SQLite and a local blob folder, then on
## PostgreSQL and S3 (test-rust runs the first with the workspace).
test-server:
	cargo test -p confide-server
	$(MAKE) test-server-services

## test-server-services: the same tests over a throwaway PostgreSQL cluster and an S3 server
## (moto), both started on 127.0.0.1 under build/ by server/scripts/with-services.sh: each
## test gets a database and a bucket of its own, and two instances share one of each.
test-server-services:
	server/scripts/with-services.sh cargo test -p confide-server

## test-wasm: wasm-bindgen-test in Node, then headless Chromium, then headless Firefox.
## WASM_BINDGEN_USE_BROWSER=1 is what makes the runner use the driver; without it, it runs Node.
WASM_TEST := cargo test -p confide-wasm --target $(WASM_TARGET) --test web
test-wasm:
	env -u CHROMEDRIVER -u GECKODRIVER -u WASM_BINDGEN_USE_BROWSER $(WASM_TEST)
	mkdir -p build
	env -u GECKODRIVER WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=$$(command -v chromedriver) $(WASM_TEST) 2>&1 | tee build/wasm-chromium.log
	env -u CHROMEDRIVER WASM_BINDGEN_USE_BROWSER=1 GECKODRIVER=$$(command -v geckodriver) $(WASM_TEST) 2>&1 | tee build/wasm-firefox.log
	@# Guard against a silent fallback to Node: the browser runner looks for webdriver.json.
	grep -q "webdriver.json" build/wasm-chromium.log && grep -q "webdriver.json" build/wasm-firefox.log

## test-js: node --test against the packed tarball installed into a scratch project.
test-js: build build-hazmat
	rm -rf build/js-test && mkdir -p build/js-test/node_modules/confide
	tar -xzf $(TARBALL) -C build/js-test/node_modules/confide --strip-components=1
	cp -r build/hazmat build/js-test/node_modules/confide-hazmat
	cp js/test/*.mjs js/test/*.html build/js-test/
	ln -s $(CURDIR)/tests/vectors build/js-test/vectors
	cd build/js-test && node --test --test-reporter=spec *.test.mjs
	@# The same suite.mjs in headless Chromium and headless Firefox, against the same package.
	cd build/js-test && node browser.mjs

## test-bundlers: the packed package in fresh Vite, webpack, esbuild, Next.js, Node and
## TypeScript apps, each page in headless Chromium (tests/bundlers/run.mjs). The tools come
## from tests/bundlers/package-lock.json, installed once into build/bundlers.
BUNDLERS := build/bundlers
$(BUNDLERS)/node_modules/.installed: tests/bundlers/package.json tests/bundlers/package-lock.json
	rm -rf $(BUNDLERS) && mkdir -p $(BUNDLERS)
	cp tests/bundlers/package.json tests/bundlers/package-lock.json $(BUNDLERS)/
	cd $(BUNDLERS) && npm ci --no-audit --no-fund
	touch $@

test-bundlers: build node_modules $(BUNDLERS)/node_modules/.installed
	node tests/bundlers/run.mjs

## fuzz: every cargo-fuzz target (fuzz/fuzz_targets) for FUZZ_SECONDS each, FUZZ_JOBS at a time,
## from corpora seeded with tests/vectors and, for cases, with the fuzz fixtures
## (build/fuzz/corpus). A crash fails the run; its input is in fuzz/artifacts/<target>/. For a
## long run: make fuzz FUZZ_SECONDS=600 FUZZ_JOBS=1.
## Sanitizer none: the code under test forbids unsafe, and ASan would halve the executions.
FUZZ_SECONDS ?= 20
FUZZ_JOBS ?= 2
FUZZ := cargo +nightly fuzz
# Where cargo fuzz puts its binaries (it builds for the host).
FUZZ_BIN = fuzz/target/$(shell rustc -vV | sed -n 's/^host: //p')/release
fuzz:
	$(FUZZ) build -s none
	node fuzz/seeds.mjs build/fuzz/corpus
	$(FUZZ_BIN)/fixture_seeds build/fuzz/corpus
	ls fuzz/fuzz_targets | sed 's/\.rs$$//' | xargs -P $(FUZZ_JOBS) -I{} sh -c \
	  '$(FUZZ) run -s none {} build/fuzz/corpus/{} -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    > build/fuzz/{}.log 2>&1 || { echo "fuzz target {} failed:"; tail -40 build/fuzz/{}.log; exit 255; }'
	@for t in $$(ls fuzz/fuzz_targets | sed 's/\.rs$$//'); do \
	  printf '%-18s %s executions\n' $$t "$$(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz/$$t.log)"; done

## test-fuzz: every fuzz target for 10 s, from the seeded corpora (part of make test; about
## 2 minutes for 25 targets). Longer runs: make fuzz.
test-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=10 FUZZ_JOBS=2

## test-e2e: the demo's scenarios in Chromium and in Firefox ESR against the real server (a
## fresh data dir under build/, port CONFIDE_E2E_PORT or 8090), then the check that nothing
## readable is at rest. The server is a dev-profile build: most of it is compiled by then
## (test-rust), where a release build (LTO) would cost make test minutes and change nothing
## the pages see.
TEST_SERVER_BIN := $(or $(CARGO_TARGET_DIR),target)/debug/confide-server
test-e2e: build
	cargo build -p confide-server
	CONFIDE_SERVER_BIN=$(TEST_SERVER_BIN) npx --no-install playwright test

## screenshots: the walk-through (and the way back, and the practice of four's clients) in
## Chromium, also writing docs/demo-*.png for the README.
screenshots: build server
	CONFIDE_SERVER_BIN=$(SERVER_BIN) CONFIDE_SCREENSHOTS=1 npx --no-install playwright test --project=chromium therapists.spec.mjs way-back.spec.mjs cases.spec.mjs

## demo: the page and the package over the real server, data kept in data/demo/.
## Ctrl-C stops it (gracefully: requests in flight finish).
demo: build server
	mkdir -p data/demo
	@echo "Confide demo: open http://$(DEMO_ADDR) (Ctrl-C stops it; data in data/demo/)"
	$(SERVER_BIN) --addr $(DEMO_ADDR) --data data/demo --www www --pkg js

bench: build build-hazmat
	node bench/run.mjs

## bench-server: a load benchmark of the reference server (server/examples/load.rs): 50
## members against the release binary over SQLite, and over a throwaway PostgreSQL cluster
## with one instance and with two; writes the Server load section of BENCHMARKS.md (between
## its markers; build/bench-server.md keeps a copy). About 3 minutes; not part of make test.
bench-server: server
	cargo build --release -p confide-server --example load
	CONFIDE_SERVICES=postgres server/scripts/with-services.sh \
		$(or $(CARGO_TARGET_DIR),target)/release/examples/load --server $(SERVER_BIN) --out build/bench-server.md
	server/scripts/splice-section.sh build/bench-server.md BENCHMARKS.md

clean:
	cargo clean
	rm -rf build js/dist js/wasm
