# Hook modes (issue 19): the exact-call e2e tests once per way of hooking
# the syscalls (IPCSCOPE_HOOKS, see user/source/attach.h), and the
# start/stop timings of `make bench` on their own.
#
#   make test-hooks       test_trace/latency/doctor/extras under each mode
#   make bench-startstop  start/stop wall times, side by side with bpftrace
#   make bench-progcost   our programs' ns per call per hook mode (bpf_stats)

HOOK_MODES ?= raw tracepoint
HOOK_TESTS ?= tests/e2e/test_trace.py tests/e2e/test_latency.py \
	      tests/e2e/test_doctor.py tests/e2e/test_extras.py tests/e2e/test_compat.py \
	      tests/e2e/test_trace_strace.py

.PHONY: test-hooks bench-startstop bench-progcost

test-hooks: tests-build
	$(Q)set -e; for m in $(HOOK_MODES); do \
		echo "== IPCSCOPE_HOOKS=$$m"; \
		IPCSCOPE_HOOKS=$$m IPCSCOPE_BUILD=$(abspath $(BUILD)) $(PYTEST) -q \
			$(wildcard $(HOOK_TESTS)) $(PYTEST_ARGS); \
	done

bench-startstop: bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/startstop.py

bench-progcost: bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/progcost.py

# 32-bit workloads (tests/workloads32/*.c, -m32): built when the compiler
# can (Debian's gcc-multilib, scripts/deps.d/hooks.list).
WL32_SRCS := $(wildcard tests/workloads32/*.c)
WL32_BINS := $(patsubst tests/workloads32/%.c,$(BUILD)/tests/workloads32/%,$(WL32_SRCS))
HAVE_M32  := $(shell printf 'int main(void){return 0;}' | $(CC) -m32 -x c - -o /dev/null 2>/dev/null && echo y)

ifeq ($(HAVE_M32),y)
tests-build: $(WL32_BINS)
endif

$(BUILD)/tests/workloads32/%: tests/workloads32/%.c tests/workloads/calllog.h
	@mkdir -p $(@D)
	$(call msg,CC32,$@)
	$(Q)$(CC) -m32 $(WL_CFLAGS) -Itests/workloads -o $@ $<
