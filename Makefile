# sweeparr — common tasks. `make demo` and `make test` install what they need first.

CARGO ?= cargo

.PHONY: all build test demo run check-config lint fmt bench setup clean

all: build

setup:
	@scripts/setup.sh

build:
	$(CARGO) build --release

## Run the test suite (unit + integration against real qbittorrent-nox, a fake Arr, moto).
## `crash-points` builds the crash points the crash-consistency tests kill the binary at.
test: setup
	$(CARGO) test --all-targets --features crash-points -- --test-threads=4

## A throwaway loopback qBittorrent with sample torrents and a sample Arr, one pass, printed.
demo:
	@SWEEPARR_SETUP_DYNAMO=0 scripts/setup.sh
	$(CARGO) build --quiet --bin sweeparr
	$(CARGO) run --quiet --example demo

## One pass with ./sweeparr.toml (or $$SWEEPARR_CONFIG).
run:
	$(CARGO) run --release --quiet -- run

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --all-features -- -D warnings

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --bench decide
	$(CARGO) run --release --quiet --example bench_pass

clean:
	$(CARGO) clean
	rm -rf .demo
