# ipcscope — build, test and demo.
#
#   make              build build/ipcscope
#   make test         install missing dependencies, build, run every test
#   make demo         install missing dependencies, build, run the demo scenario
#   make check-asan   the test suite against an ASan/UBSan build (in build-asan/);
#                     fails on any sanitizer report, even from a run whose test passed
#   make V=1          show the commands
#
# Areas add their own targets in mk/*.mk (included at the end).

BUILD     ?= build
ARCH      ?= x86
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
LLVM_STRIP ?= llvm-strip
PYTEST    ?= /usr/bin/python3 -m pytest
VMLINUX   := vmlinux/$(ARCH)
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SANITIZE  ?=
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	     -Wno-missing-field-initializers -D_GNU_SOURCE \
	     -I$(BUILD) -Ibpf -Iuser $(SANITIZE) \
	     $(shell pkg-config --cflags libbpf 2>/dev/null)
LDFLAGS   += $(SANITIZE)
LDLIBS    += $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -ldw -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX) -Ibpf \
	      -Wall -Werror -Wno-unused-function

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(shell find user -name '*.c' | sort)
USER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/obj/user/main.o,$(USER_OBJS))
LIB       := $(BUILD)/libipcscope.a
BIN       := $(BUILD)/ipcscope

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
WL_SRCS   := $(wildcard tests/workloads/*.c)
WL_BINS   := $(patsubst tests/workloads/%.c,$(BUILD)/tests/workloads/%,$(WL_SRCS))
# Workloads are built like distro binaries: plain -O2, no frame pointers.
WL_CFLAGS ?= -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -pthread

.PHONY: all deps test test-unit test-e2e demo check-asan clean tests-build FORCE
.DEFAULT_GOAL := all
# Keep generated BPF objects and skeletons between builds.
.SECONDARY: $(BPF_OBJS) $(SKELS)

all: $(BIN)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h $(VMLINUX)/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ && rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# The version is a header rewritten only when `git describe` changes, so a
# commit (or a clean tree after a dirty one) rebuilds the files that print it.
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define IPCSCOPE_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

FORCE:

# Every user object may include any skeleton; they are cheap to rebuild.
# version.h is order-only: the -MMD files name the few objects that use it.
$(BUILD)/obj/%.o: %.c $(SKELS) | $(BUILD)/version.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/obj/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive $(BUILD)/obj/user/main.o $(LDLIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) -lcmocka $(LDLIBS)

$(BUILD)/tests/workloads/%: tests/workloads/%.c $(wildcard tests/workloads/*.h)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WL_CFLAGS) -o $@ $< -lrt

tests-build: $(BIN) $(UNIT_BINS) $(WL_BINS)

deps:
	$(Q)scripts/install-deps.sh

# The whole suite: cmocka unit binaries and end-to-end tests, run by pytest so
# that one summary line counts everything.
test: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)IPCSCOPE_BUILD=$(abspath $(BUILD)) $(PYTEST) tests $(PYTEST_ARGS)

test-unit: tests-build
	$(Q)IPCSCOPE_BUILD=$(abspath $(BUILD)) $(PYTEST) tests/test_unit.py $(PYTEST_ARGS)

test-e2e: tests-build
	$(Q)IPCSCOPE_BUILD=$(abspath $(BUILD)) $(PYTEST) tests/e2e $(PYTEST_ARGS)

demo: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)IPCSCOPE_BUILD=$(abspath $(BUILD)) scripts/demo.sh

# The flags go to the tests' environment too: a test that runs make on
# build-asan (make install) must not relink it without the sanitizers.
ASAN_FLAGS := OPT=-O1 SANITIZE='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'

check-asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan $(ASAN_FLAGS) tests-build
	$(Q)rm -rf build-asan/sanitizer && mkdir -m 1777 -p build-asan/sanitizer
	$(Q)$(ASAN_FLAGS) IPCSCOPE_BUILD=$(abspath build-asan) \
		ASAN_OPTIONS=detect_leaks=1:log_path=$(abspath build-asan)/sanitizer/asan \
		UBSAN_OPTIONS=print_stacktrace=1:log_path=$(abspath build-asan)/sanitizer/ubsan \
		$(PYTEST) tests $(PYTEST_ARGS); st=$$?; \
	if [ -n "$$(ls build-asan/sanitizer)" ]; then \
		cat build-asan/sanitizer/*; \
		echo "check-asan: sanitizer reports above (build-asan/sanitizer/)"; exit 1; \
	fi; exit $$st

clean:
	rm -rf build build-asan

-include $(USER_OBJS:.o=.d)
-include $(wildcard mk/*.mk)
