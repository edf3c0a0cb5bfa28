# sweeparr — common tasks. `make demo` and `make test` install what they need first.

CARGO ?= cargo
# The Lambda zip (make lambda) is always written here; infra/template.yaml points at it.
LAMBDA_DIR := target/lambda
LAMBDA_ZIP := $(LAMBDA_DIR)/sweeparr/bootstrap.zip
# A sweeparr.toml to package in the zip (make lambda LAMBDA_CONFIG=path/to/sweeparr.toml).
LAMBDA_CONFIG ?=
# The event `make invoke` sends (any file in events/).
EVENT ?= events/dry-run.json
# Extra `sam deploy` arguments, e.g. SAM_ARGS='--parameter-overrides ScheduleRate="rate(10 minutes)"'.
SAM_ARGS ?=

.PHONY: all build test demo fixtures run check-config lint lint-infra fmt bench bench-100k fuzz cloud-figures setup clean lambda invoke deploy

all: build

setup:
	@scripts/setup.sh

build:
	$(CARGO) build --release

# The modules of the integration-test crate (tests/it) that start a real qbittorrent-nox
# (QbitServer::start, World::start), and the crash tests (their own crate, tests/crash_e2e.rs).
# `make test` runs them once more on each of QBT_EXTRA_BUILDS.
QBT_TESTS := cli_commands deadline_e2e faults_arr_e2e faults_qbit_e2e guards_e2e lambda_e2e \
	notify_e2e pass_e2e pass_guards qbit_client qbit_harness rules_e2e search_e2e \
	qbit_versions_e2e store_dynamo_retry torrent_side_e2e
# The qBittorrent builds besides the system one (Debian 12's 4.5): Debian 13 trixie (5.1)
# and Debian testing (5.3 or later), unpacked by scripts/setup.sh into QBT_CACHE.
QBT_EXTRA_BUILDS ?= trixie testing
QBT_CACHE ?= $${SWEEPARR_QBT_CACHE:-$$HOME/.cache/sweeparr/qbt}

## Run the test suite (unit + integration against real qbittorrent-nox, a fake Arr, moto),
## then the integration tests that start a real qBittorrent again on each extra build.
## `crash-points` builds the crash points the crash-consistency tests kill the binary at.
test: setup
	@for build in $(QBT_EXTRA_BUILDS); do \
		launcher="$(QBT_CACHE)/$$build/run-qbittorrent-nox"; \
		"$$launcher" --version >/dev/null 2>&1 || { \
			echo "make test: qBittorrent build $$build is missing or broken ($$launcher); scripts/setup.sh installs it" >&2; \
			exit 1; }; \
	done
	SWEEPARR_QBT_BUILD=bookworm $(CARGO) test --all-targets --features crash-points -- --test-threads=4
	@failed=""; for build in $(QBT_EXTRA_BUILDS); do \
		version="$$("$(QBT_CACHE)/$$build/run-qbittorrent-nox" --version | sed -n 's/^qBittorrent v//p')"; \
		echo "== qBittorrent $$build ($$version): $(QBT_TESTS) crash_e2e"; \
		start=$$(date +%s); \
		SWEEPARR_QBT_BUILD=$$build $(CARGO) test --no-fail-fast --features crash-points \
			--test it -- --test-threads=4 $(addsuffix ::,$(QBT_TESTS)) || failed="$$failed $$build"; \
		SWEEPARR_QBT_BUILD=$$build $(CARGO) test --features crash-points \
			--test crash_e2e -- --test-threads=4 || failed="$$failed $$build"; \
		echo "== qBittorrent $$build ($$version): $$(( $$(date +%s) - start ))s"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: failed on qBittorrent build(s):$$failed" >&2; exit 1; fi

## A throwaway loopback qBittorrent with sample torrents and a sample Arr, one pass, printed.
demo:
	@SWEEPARR_SETUP_DYNAMO=0 SWEEPARR_SETUP_QBT_BUILDS=0 scripts/setup.sh
	$(CARGO) build --quiet --bin sweeparr
	$(CARGO) run --quiet --example demo

## Real WebUI replies of each qBittorrent build (all three unless given FIXTURE_BUILDS=...),
## scrubbed of temp paths, ports and times, into tests/fixtures/<build>/ (scripts/record_fixtures.py).
FIXTURE_BUILDS ?=
fixtures:
	@SWEEPARR_SETUP_DYNAMO=0 scripts/setup.sh
	scripts/record_fixtures.py $(FIXTURE_BUILDS)

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

## Formatting, clippy, and the deployment files (cfn-lint, systemd-analyze verify).
lint: lint-infra
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) check --quiet --manifest-path fuzz/Cargo.toml

lint-infra:
	@scripts/setup.sh lint
	scripts/lint_infra.sh

## The arm64 Lambda zip ($(LAMBDA_ZIP)) with cargo-lambda (zig from PyPI as cross linker);
## LAMBDA_CONFIG=path adds that file to the zip as sweeparr.toml, beside bootstrap.
lambda:
	@scripts/setup.sh lambda
	cargo lambda build --release --arm64 --bin sweeparr --output-format zip --lambda-dir $(LAMBDA_DIR)
	$(if $(LAMBDA_CONFIG),scripts/zip_config.py $(LAMBDA_ZIP) "$(LAMBDA_CONFIG)")
	@ls -l $(LAMBDA_ZIP) && python3 -m zipfile -l $(LAMBDA_ZIP)

## One local invocation: the function under `cargo lambda watch` on loopback, $(EVENT) sent.
invoke:
	scripts/invoke.sh $(EVENT)

## Deploy infra/template.yaml with the AWS SAM CLI (pip install aws-sam-cli). The first time
## it asks for the stack name, region and parameters and saves them in infra/samconfig.toml;
## later runs reuse them. Needs AWS credentials; CI never runs it.
deploy: lambda
	@command -v sam >/dev/null 2>&1 || { echo "deploy: needs the AWS SAM CLI (pip install aws-sam-cli)" >&2; exit 1; }
	cd infra && if [ -f samconfig.toml ]; then \
		sam deploy --template-file template.yaml $(SAM_ARGS); \
	else \
		sam deploy --guided --template-file template.yaml --capabilities CAPABILITY_IAM $(SAM_ARGS); \
	fi

fmt:
	$(CARGO) fmt --all

## Measurements behind the cloud section of BENCHMARKS.md (release binary; FIGURES_TORRENTS torrents).
FIGURES_TORRENTS ?= 1000
cloud-figures: setup
	$(CARGO) build --release --bin sweeparr
	SWEEPARR_FIGURES_BIN="$${CARGO_TARGET_DIR:-$(CURDIR)/target}/release/sweeparr" \
	SWEEPARR_FIGURES_TORRENTS=$(FIGURES_TORRENTS) \
		$(CARGO) test --test it -- lambda_figures:: --ignored --nocapture --test-threads=1

## decide() over synthetic snapshots, then whole passes of the release binary against fakes.
bench:
	$(CARGO) bench --bench decide
	$(CARGO) build --release --quiet --bin sweeparr
	$(CARGO) run --release --quiet --example bench_pass

## The 100,000-torrent world (5 instances) of the pass bench alone: a few minutes.
bench-100k:
	$(CARGO) build --release --quiet --bin sweeparr
	BENCH_ONLY="5 x 20,000" $(CARGO) run --release --quiet --example bench_pass

clean:
	$(CARGO) clean
	rm -rf .demo
