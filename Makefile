# Sweep: the two commands are `make demo` and `make test` (see README.md).
SWIFT ?= swift
SWEEP_DEBUG = .build/debug/sweep
SWEEP_RELEASE = .build/release/sweep

.PHONY: demo test deps test-deps build release bench clean chaos

## demo: install what is missing, build, check the example sweeps, then run one for real on
## this machine: private PostgreSQL, a coordinator and local workers, leaderboard at the end.
demo: deps build
	$(SWEEP_DEBUG) validate sweeps/*.yaml
	@for file in sweeps/*.yaml; do \
		echo; echo "== $$file"; \
		$(SWEEP_DEBUG) expand "$$file" --limit 3 --command || exit 1; \
	done
	@echo; echo "== sweep up sweeps/mlp-digits.yaml"
	$(SWEEP_DEBUG) up sweeps/mlp-digits.yaml --workers 2 --slots 1

## test: install what is missing, build, start a throwaway PostgreSQL, run every test, stop it
## (python3-zmq too: the Python worker of docs/protocol.md section 14 runs against a real
## coordinator, and must, hence SWEEP_REQUIRE_PYZMQ=1); then the Python client's own tests;
## then the multi-host tests on a network-namespace cluster (a sweep with a pulled cable, and
## a 300-job fault drill; they need root and are reported as SKIPPED without it:
## scripts/cluster-tests.sh).
test: deps test-deps
	$(SWIFT) build --build-tests
	SWEEP_REQUIRE_PYZMQ=1 scripts/with-test-postgres.sh $(SWIFT) test --skip-build
	python3 -m unittest discover -s clients/python/tests
	$(SWIFT) build --product sweep
	scripts/cluster-tests.sh

deps:
	@scripts/install-deps.sh postgresql libzmq3-dev libopenblas-dev iproute2

test-deps:
	@scripts/install-deps.sh python3-zmq

build:
	$(SWIFT) build --product sweep

release:
	$(SWIFT) build -c release --product sweep

## bench: every benchmark recorded in BENCHMARKS.md, each against its baselines in the same
## run (release build in .build-bench; the peers come from pip: optuna, psycopg2-binary,
## wandb's sweeps, torch; see each script).
bench: deps
	Benchmarks/expand/run.sh
	Benchmarks/store/run.sh
	SKIP_BUILD=1 Benchmarks/queue/run.sh
	SKIP_BUILD=1 Benchmarks/dispatch/run.sh
	.build-bench/release/sweep bench wire
	Benchmarks/kernels/run.sh

clean:
	rm -rf .build

## chaos: fault drill on the netns cluster (root; the sweep binary from SWEEP_BINARY, default
## .build/release/sweep): a fault-free run, then the same sweep under worker/coordinator kills,
## a link cut and a PostgreSQL restart, audited with SQL (infra/chaos/README.md).
## Options through CHAOS_ARGS, e.g. make chaos CHAOS_ARGS="--jobs 300".
chaos:
	infra/chaos/chaos.sh $(CHAOS_ARGS)
