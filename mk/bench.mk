# Benchmark (issue 7): what tracing costs, against untraced runs and bpftrace.
#
#   make bench        full run (~15 min here): table on stdout and in docs/performance.md
#   make bench-smoke  one short iteration per cell (what tests/e2e/test_bench_smoke.py runs)
#
# Knobs (environment): BENCH_RUNS, BENCH_SECONDS, BENCH_WORKLOADS=semop,msgq,...,
# BENCH_CONFIGS=latency,trace,..., BENCH_OUT, BENCH_JSON, BENCH_NO_INVENTORY=1,
# BENCH_NO_STARTSTOP=1 (the start/stop table, also `make bench-startstop`),
# BENCH_NO_PROGCOST=1 (ns per call per hook mode, also `make bench-progcost`),
# BENCH_NO_IDLE=1 (skip blocked/top/metrics with 3000 idle processes).
# Not part of `make test`: it is too slow and too sensitive to load.

BENCH_SRCS := $(filter-out bench/floor.c bench/%.bpf.c,$(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS)) $(BUILD)/bench/floor
BENCH_PY   ?= /usr/bin/python3

.PHONY: bench bench-smoke bench-build

# Built like the test workloads: plain -O2, as a distro would.
$(BUILD)/bench/%: bench/%.c bench/wl.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) -o $@ $<

# The "floor" configuration: empty BPF programs on latency's hooks.
$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c $(VMLINUX)/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/floor: bench/floor.c $(BUILD)/bench/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/bench -o $@ $< $(LDFLAGS) $(LDLIBS)

bench-build: $(BIN) $(BENCH_BINS)

# The smoke test needs the bench binaries.
tests-build: $(BENCH_BINS)

bench: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/bench.py
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/soak.py

bench-smoke: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) BENCH_QUICK=1 $(BENCH_PY) bench/bench.py

# The soak (issue 19): RSS of the long-running commands under churn and a
# fork storm, 5 minutes (SOAK_SECONDS), all six side by side; its own table
# in docs/performance.md.  `make bench` runs it after the main benchmark.
.PHONY: bench-soak
bench-soak: deps
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/soak.py
