# make vmtest: the end-to-end suite on a second kernel (Debian's, see
# scripts/vmtest.conf) booted under QEMU, where kprobes and fentry work,
# against build/ipcscope-static (mk/static.mk; VMTEST_BIN picks another).
# VMTEST_TIMEOUT (seconds), VMTEST_CACHE, PYTEST_ARGS are passed through.
.PHONY: vmtest
vmtest: deps
	$(Q)$(MAKE) --no-print-directory tests-build static
	$(Q)BUILD=$(abspath $(BUILD)) scripts/vmtest.sh
