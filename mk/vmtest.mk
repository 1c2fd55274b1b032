# make vmtest: the end-to-end suite on a second kernel (Debian's, see
# scripts/vmtest.conf) booted under QEMU, where kprobes and fentry work.
# VMTEST_TIMEOUT (seconds), VMTEST_CACHE, PYTEST_ARGS are passed through.
.PHONY: vmtest
vmtest: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)BUILD=$(abspath $(BUILD)) scripts/vmtest.sh
