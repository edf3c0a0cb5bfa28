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

.PHONY: all build test demo run check-config lint lint-infra fmt bench setup clean lambda invoke deploy

all: build

setup:
	@scripts/setup.sh

build:
	$(CARGO) build --release

## Run the test suite (unit + integration against real qbittorrent-nox, a fake Arr, moto).
test: setup
	$(CARGO) test --all-targets -- --test-threads=4

## A throwaway loopback qBittorrent with sample torrents and a sample Arr, one pass, printed.
demo:
	@SWEEPARR_SETUP_DYNAMO=0 scripts/setup.sh
	$(CARGO) build --quiet --bin sweeparr
	$(CARGO) run --quiet --example demo

## One pass with ./sweeparr.toml (or $$SWEEPARR_CONFIG).
run:
	$(CARGO) run --release --quiet -- run

## Formatting, clippy, and the deployment files (cfn-lint, systemd-analyze verify).
lint: lint-infra
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

lint-infra:
	@scripts/setup.sh lint
	scripts/lint_infra.sh

## The arm64 Lambda zip ($(LAMBDA_ZIP)) with cargo-lambda (zig from PyPI as cross linker).
lambda:
	@scripts/setup.sh lambda
	rm -rf $(LAMBDA_DIR)/include
	$(if $(LAMBDA_CONFIG),install -D -m 0644 $(LAMBDA_CONFIG) $(LAMBDA_DIR)/include/sweeparr.toml)
	cargo lambda build --release --arm64 --bin sweeparr --output-format zip --lambda-dir $(LAMBDA_DIR) \
		$(if $(LAMBDA_CONFIG),--include $(LAMBDA_DIR)/include/sweeparr.toml)
	@ls -l $(LAMBDA_ZIP) && unzip -l $(LAMBDA_ZIP)

## One local invocation: the function under `cargo lambda watch` on loopback, $(EVENT) sent.
invoke:
	scripts/invoke.sh $(EVENT)

## Deploy infra/template.yaml with the AWS SAM CLI (asks for the parameters the first time
## and remembers them in infra/samconfig.toml). Needs AWS credentials; not run by CI.
deploy: lambda
	@command -v sam >/dev/null 2>&1 || { echo "deploy: needs the AWS SAM CLI (pip install aws-sam-cli)" >&2; exit 1; }
	cd infra && sam deploy --guided --template-file template.yaml $(SAM_ARGS)

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --bench decide
	$(CARGO) run --release --quiet --example bench_pass

clean:
	$(CARGO) clean
	rm -rf .demo
