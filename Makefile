# Sweep: the two commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
SWEEP_DEBUG = .build/debug/sweep
SWEEP_RELEASE = .build/release/sweep

.PHONY: demo test deps build release bench clean

## demo: install what is missing, build, validate and expand the example sweeps, start the
## private PostgreSQL, submit a sweep and show its progress.
demo: deps build
	$(SWEEP_DEBUG) validate sweeps/*.yaml
	@for file in sweeps/*.yaml; do \
		echo; echo "== $$file"; \
		$(SWEEP_DEBUG) expand "$$file" --limit 5 --command || exit 1; \
	done
	@echo; echo "== private PostgreSQL"
	$(SWEEP_DEBUG) db start
	$(SWEEP_DEBUG) submit sweeps/wandb-grid.yaml --name "demo-$$(date +%Y%m%d-%H%M%S)"
	$(SWEEP_DEBUG) query "SELECT sweep, method, total, queued, running, succeeded, percent_done FROM sweep_progress ORDER BY created_at DESC LIMIT 5"

## test: install what is missing, build, start a throwaway PostgreSQL, run every test, stop it.
test: deps
	$(SWIFT) build --build-tests
	scripts/with-test-postgres.sh $(SWIFT) test --skip-build

deps:
	@scripts/install-deps.sh postgresql libzmq3-dev

build:
	$(SWIFT) build --product sweep

release:
	$(SWIFT) build -c release --product sweep

## bench: the benchmarks recorded in BENCHMARKS.md (release build).
bench: deps release
	$(SWEEP_RELEASE) bench expand

clean:
	rm -rf .build
