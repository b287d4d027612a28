# Sweep: the two commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
SWEEP_DEBUG = .build/debug/sweep
SWEEP_RELEASE = .build/release/sweep

.PHONY: demo test deps build release bench clean

## demo: install what is missing, build, and run the example sweeps through validate and expand.
demo: deps build
	$(SWEEP_DEBUG) validate sweeps/*.yaml
	@for file in sweeps/*.yaml; do \
		echo; echo "== $$file"; \
		$(SWEEP_DEBUG) expand "$$file" --limit 5 --command || exit 1; \
	done

## test: install what is missing, build, and run every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

deps:
	@scripts/install-deps.sh

build:
	$(SWIFT) build --product sweep

release:
	$(SWIFT) build -c release --product sweep

## bench: the benchmarks recorded in BENCHMARKS.md (release build).
bench: deps release
	$(SWEEP_RELEASE) bench expand

clean:
	rm -rf .build
