# Benchmark (issue 7): what tracing costs, against untraced runs and bpftrace.
#
#   make bench        full run (~15 min here): table on stdout and in docs/performance.md
#   make bench-smoke  one short iteration per cell (what tests/e2e/test_bench_smoke.py runs)
#
# Knobs (environment): BENCH_RUNS, BENCH_SECONDS, BENCH_WORKLOADS=semop,msgq,...,
# BENCH_CONFIGS=latency,trace,..., BENCH_OUT, BENCH_JSON, BENCH_NO_INVENTORY=1.
# Not part of `make test`: it is too slow and too sensitive to load.

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_PY   ?= /usr/bin/python3

.PHONY: bench bench-smoke bench-build

# Built like the test workloads: plain -O2, as a distro would.
$(BUILD)/bench/%: bench/%.c bench/wl.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) -o $@ $<

bench-build: $(BIN) $(BENCH_BINS)

# The smoke test needs the bench binaries.
tests-build: $(BENCH_BINS)

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/bench.py

bench-smoke: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) BENCH_QUICK=1 $(BENCH_PY) bench/bench.py
