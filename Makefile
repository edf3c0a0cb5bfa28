# sweeparr — common tasks. `make demo` and `make test` install what they need first.

CARGO ?= cargo

.PHONY: all build test demo run check-config lint fmt bench fuzz setup clean

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

FUZZ_TIME ?= 60
FUZZ_TARGETS ?= config qbit_replies arr_replies decide_on_replies

## Fuzz each target for FUZZ_TIME seconds with cargo-fuzz (libFuzzer). Works on the stable
## toolchain through RUSTC_BOOTSTRAP=1; debug assertions and overflow checks on, no ASan
## (the code under test is safe Rust). New inputs go to fuzz/corpus/, crashes to
## fuzz/artifacts/; fuzz/seeds/ holds the starting inputs.
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@cd fuzz && for t in $(FUZZ_TARGETS); do \
		mkdir -p corpus/$$t && \
		RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O -a -s none $$t corpus/$$t seeds/$$t -- \
			-max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -print_final_stats=1 || exit 1; \
	done

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
