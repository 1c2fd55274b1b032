# make static: build/ipcscope-static, one statically linked executable for
# any x86_64 kernel with BTF (CO-RE), every library from Debian's static
# archives (scripts/deps.d/static.list).  The objects are the dynamic
# build's (same $(LIB), BPF skeletons embedded as usual); only the link
# differs.  make image packs it into an OCI image (mk/image.mk).
#
#   make static                 build/ipcscope-static
#   make test STATIC=1          the test suite against the static binary
#
# libdw's debuginfod client dlopen()s libdebuginfod.so.1: static/no_dlopen.c
# and --wrap make every dlopen fail, so the binary never loads a shared
# object.  User and group names come from /etc/passwd and /etc/group
# (user/util/names_db.c), never from NSS, in both builds.

STATIC_BIN   := $(BUILD)/ipcscope-static
STATIC_LIBS  := -lbpf -ldw -lelf -ljson-c -levent_extra -levent_core \
		-lncursesw -ltinfo -lz -llzma -lbz2 -lzstd -lpthread -lm
STATIC_WRAP  := -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose,--wrap=dlerror

.PHONY: static
static: $(STATIC_BIN)

$(BUILD)/obj/static/%.o: static/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(STATIC_BIN): $(BUILD)/obj/user/main.o $(LIB) $(BUILD)/obj/static/no_dlopen.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -static -o $@.tmp -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive \
		$(BUILD)/obj/user/main.o $(BUILD)/obj/static/no_dlopen.o $(STATIC_WRAP) $(STATIC_LIBS)
	$(Q)mv $@.tmp $@

# STATIC=1: the tests run build/ipcscope-static (tests/conftest.py reads
# IPCSCOPE_BIN); the dynamic binary is still built, for the tests that
# build or install it.
ifeq ($(STATIC),1)
tests-build: $(STATIC_BIN)
export IPCSCOPE_BIN := $(abspath $(STATIC_BIN))
endif
