# Leadline: `make run` serves it, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Build output and tools live outside the clone, so a fresh clone reuses them.
CACHE ?= $(if $(shell [ -w /var/cache ] && echo ok),/var/cache/leadline,$(HOME)/.cache/leadline)
export CARGO_TARGET_DIR ?= $(CACHE)/target
TOOLS := $(CACHE)/tools
NODE_TOOLS := $(CACHE)/node-tools
export PATH := $(TOOLS)/bin:$(NODE_TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

WASM_BINDGEN_VERSION := 0.2.130
BINARYEN_VERSION := 132.0.0
BINARYEN_MAJOR := 132

# One configuration for every build (tests, the wasm, the release), so none rebuilds the
# dependencies of another and a server always matches the wasm it serves. `erase_components`
# type-erases Leptos components: the same pages, far less generic code to compile (the
# release server's own crates: 8 min -> 4 min on two cores).
export RUSTFLAGS := --cfg erase_components
# Leptos reads the output name when it is compiled (it names the wasm in every page).
export LEPTOS_OUTPUT_NAME := leadline
export LEPTOS_SITE_PKG_DIR := pkg

# The built site: server/src/site.rs embeds this folder into the release binary (a debug
# binary reads it at run time, from the path the folder had when the binary was compiled:
# it must exist by then, even empty).
SITE := $(CURDIR)/target/site
$(shell mkdir -p "$(SITE)")
WASM_TARGET_DIR := $(CARGO_TARGET_DIR)/front
WASM := $(WASM_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/frontend.wasm
RELEASE_BIN := $(CARGO_TARGET_DIR)/release/leadline
TEST_BIN := $(CARGO_TARGET_DIR)/debug/leadline
RUST_PACKAGES := -p app -p server -p migrations --features app/ssr

.PHONY: run test tools chromium end2end-deps site release release-lib loadgen test-rust lint test-e2e clean-cache

## Build a release and serve http://127.0.0.1:3000 with SQLite under ./data.
run: release
	LEPTOS_SITE_ROOT="$(SITE)" exec "$(RELEASE_BIN)" serve

## Every test: formatting and lints, Rust unit, service and HTTP tests, then Playwright in
## Chromium against the server the tests built, serving the release site from inside it.
test: tools chromium end2end-deps lint test-rust test-e2e

## The site (what the browser loads): the frontend crate built for wasm32 with the
## wasm-release profile, wasm-bindgen, wasm-opt -Oz, the stylesheet and the public assets.
## Files are replaced only when their content changed, so the server is not rebuilt for nothing.
site: tools
	cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release \
		--target-dir "$(WASM_TARGET_DIR)"
	rm -rf "$(SITE).new" && mkdir -p "$(SITE).new/pkg"
	@hash="$$(sha256sum < "$(WASM)" | cut -c1-64)"; \
	if [ -f "$(SITE)/pkg/leadline.wasm" ] && [ -f "$(SITE)/pkg/leadline.js" ] \
		&& [ "$$(cat "$(SITE).wasm-hash" 2>/dev/null)" = "$$hash" ]; then \
		echo "The wasm is unchanged: keeping its wasm-bindgen and wasm-opt output"; \
		cp "$(SITE)/pkg/leadline.wasm" "$(SITE)/pkg/leadline.js" "$(SITE).new/pkg/"; \
	else \
		( set -x; \
		wasm-bindgen --target web --no-typescript --out-name leadline \
			--out-dir "$(SITE).new/pkg" "$(WASM)"; \
		mv "$(SITE).new/pkg/leadline_bg.wasm" "$(SITE).new/pkg/leadline.wasm"; \
		wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
			"$(SITE).new/pkg/leadline.wasm" -o "$(SITE).new/pkg/leadline.wasm" ); \
		rm -f "$(SITE).wasm-hash"; \
	fi; \
	cp style/main.css "$(SITE).new/pkg/leadline.css"; \
	cp -R public/. "$(SITE).new/" && rm -f "$(SITE).new/.gitkeep"; \
	mkdir -p "$(SITE)"; \
	(cd "$(SITE).new" && find . -type f) | while read -r f; do \
		cmp -s "$(SITE).new/$$f" "$(SITE)/$$f" \
			|| { mkdir -p "$$(dirname "$(SITE)/$$f")"; cp "$(SITE).new/$$f" "$(SITE)/$$f"; }; \
	done; \
	(cd "$(SITE)" && find . -type f) | while read -r f; do \
		[ -e "$(SITE).new/$$f" ] || rm -f "$(SITE)/$$f"; \
	done; \
	rm -rf "$(SITE).new"; \
	echo "$$hash" > "$(SITE).wasm-hash"

## The release binary, with the site inside it. The server library (and everything under
## it: most of the work) builds while the tools and the site are made; only the binary,
## which holds the site, waits for it.
release:
	$(MAKE) --no-print-directory -j2 site release-lib
	cargo build --release -p server --bin leadline

release-lib:
	cargo build --release -p server --lib

## The release leadline and the load generator (benchmarks, on demand).
loadgen: release
	cargo build --release -p server --bin loadgen

## Formatting and lints, as CI wants them.
lint:
	cargo fmt --all -- --check
	cargo clippy $(RUST_PACKAGES) --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## The Rust tiers: unit tests, service tests (SQLite, and PostgreSQL when
## LEADLINE_TEST_POSTGRES_URL is set), black-box HTTP and process tests, migrations.
## With CI=true a missing LEADLINE_TEST_POSTGRES_URL fails the run instead of skipping.
test-rust:
	@if [ -n "$${CI:-}" ] && [ -z "$${LEADLINE_TEST_POSTGRES_URL:-}" ]; then \
		echo "CI=true but LEADLINE_TEST_POSTGRES_URL is not set: the PostgreSQL tier would be skipped"; \
		exit 1; fi
	cargo test $(RUST_PACKAGES)

## The test build's server binary (built by test-rust for the process tests) serves the
## release site from inside it: the browser tests load exactly the wasm `make run` serves.
## Then the live loop (widget, inbox, missed chats) once more on PostgreSQL when
## LEADLINE_TEST_POSTGRES_URL is set.
E2E_POSTGRES_SPECS := tests/widget.spec.ts tests/inbox.spec.ts tests/experience.spec.ts
test-e2e: site
	cargo test $(RUST_PACKAGES) --no-run
	cd end2end && LEADLINE_BIN="$(TEST_BIN)" \
		LEPTOS_SITE_ROOT="$(CURDIR)/target/no-site-on-disk" npx playwright test
	@if [ -n "$${LEADLINE_TEST_POSTGRES_URL:-}" ]; then \
		echo "Playwright on PostgreSQL: $(E2E_POSTGRES_SPECS)"; \
		cd end2end && LEADLINE_BIN="$(TEST_BIN)" E2E_POSTGRES_URL="$$LEADLINE_TEST_POSTGRES_URL" \
			LEPTOS_SITE_ROOT="$(CURDIR)/target/no-site-on-disk" npx playwright test $(E2E_POSTGRES_SPECS); \
	fi

## The wasm target, wasm-bindgen and wasm-opt at the versions that work here. wasm-bindgen
## is built without optimisation: 1.4 min instead of 4, and it still takes 3 s per build.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@mkdir -p "$(TOOLS)" "$(NODE_TOOLS)"
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)…"; \
		env -u RUSTFLAGS cargo install --root "$(TOOLS)" --force --debug \
			--target-dir "$(CACHE)/tools-target" \
			wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)"; \
		rm -rf "$(CACHE)/tools-target"; \
	fi
	@if ! wasm-opt --version 2>/dev/null | grep -q "version $(BINARYEN_MAJOR) "; then \
		echo "Installing wasm-opt (npm binaryen@$(BINARYEN_VERSION))…"; \
		cd "$(NODE_TOOLS)" && { [ -f package.json ] || npm init -y >/dev/null; } \
			&& npm install --no-audit --no-fund "binaryen@$(BINARYEN_VERSION)"; \
	fi

## Debian's Chromium for the browser tests (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

end2end-deps:
	@cd end2end && if [ ! -d node_modules/@playwright/test ] \
		|| ! cmp -s package-lock.json node_modules/.package-lock.json; then \
		npm ci --no-audit --no-fund; fi

clean-cache:
	rm -rf "$(CARGO_TARGET_DIR)"
