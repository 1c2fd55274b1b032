# Hook modes (issue 19): the exact-call e2e tests once per way of hooking
# the syscalls (IPCSCOPE_HOOKS, see user/source/attach.h), and the
# start/stop timings of `make bench` on their own.
#
#   make test-hooks       test_trace/latency/doctor/extras under each mode
#   make bench-startstop  start/stop wall times, side by side with bpftrace

HOOK_MODES ?= raw tracepoint
HOOK_TESTS ?= tests/e2e/test_trace.py tests/e2e/test_latency.py \
	      tests/e2e/test_doctor.py tests/e2e/test_extras.py tests/e2e/test_compat.py

.PHONY: test-hooks bench-startstop

test-hooks: tests-build
	$(Q)set -e; for m in $(HOOK_MODES); do \
		echo "== IPCSCOPE_HOOKS=$$m"; \
		IPCSCOPE_HOOKS=$$m IPCSCOPE_BUILD=$(abspath $(BUILD)) $(PYTEST) -q \
			$(wildcard $(HOOK_TESTS)) $(PYTEST_ARGS); \
	done

bench-startstop: bench-build
	$(Q)BENCH_BUILD=$(abspath $(BUILD)) $(BENCH_PY) bench/startstop.py
