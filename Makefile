# Leadline: `make run` serves it, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Build output and tools live outside the clone, so a fresh clone reuses them.
CACHE ?= $(if $(shell [ -w /var/cache ] && echo ok),/var/cache/leadline,$(HOME)/.cache/leadline)
export CARGO_TARGET_DIR ?= $(CACHE)/target
TOOLS := $(CACHE)/tools
NODE_TOOLS := $(CACHE)/node-tools
export PATH := $(TOOLS)/bin:$(NODE_TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.5
WASM_BINDGEN_VERSION := 0.2.130
BINARYEN_VERSION := 132.0.0
BINARYEN_MAJOR := 132
DEBUG_FLAGS := --cfg erase_components

.PHONY: run test tools chromium end2end-deps test-rust test-e2e build-release clean-cache

## Build a release and serve http://127.0.0.1:3000 with SQLite under ./data.
run: tools
	cargo leptos serve --release

## Every test: Rust unit, service and HTTP tests, then Playwright in Chromium.
test: tools chromium end2end-deps test-rust test-e2e

test-rust:
	RUSTFLAGS="$(DEBUG_FLAGS)" cargo test -p app --features ssr
	RUSTFLAGS="$(DEBUG_FLAGS)" cargo test -p server
	RUSTFLAGS="$(DEBUG_FLAGS)" cargo test -p migrations

## The release build `make run` serves (wasm-opt included): the browser tests run against it,
## so a release that does not build or hydrate fails the tests.
build-release: tools
	cargo leptos build --release

## The browser tests run the release binary alone: its site root does not exist, so the
## wasm, script and stylesheet come from inside the binary (the one-binary install).
test-e2e: build-release
	cd end2end && LEADLINE_BIN="$(CARGO_TARGET_DIR)/release/leadline" \
		LEPTOS_SITE_ROOT="$(CURDIR)/target/no-site-on-disk" npx playwright test

## The wasm target, cargo-leptos, wasm-bindgen and wasm-opt at the versions that work here.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@mkdir -p "$(TOOLS)" "$(NODE_TOOLS)"
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)…"; \
		cargo install --root "$(TOOLS)" --force wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)"; \
	fi
	@if [ "$$(cargo-leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION)…"; \
		cargo install --root "$(TOOLS)" --force --locked cargo-leptos --version "$(CARGO_LEPTOS_VERSION)"; \
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
