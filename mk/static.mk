# make static: build/ipcscope-static, one statically linked executable for
# any x86_64 kernel with BTF (CO-RE), every library from Debian's static
# archives (scripts/deps.d/static.list).  The objects are the dynamic
# build's (same $(LIB), BPF skeletons embedded as usual); only the link
# differs.  make image packs it into an OCI image (below).
#
#   make static                 build/ipcscope-static
#   make test STATIC=1          the test suite against the static binary
#
# libdw's debuginfod client dlopen()s libdebuginfod.so.1: static/stubs.c
# and --wrap make every dlopen fail, so the binary never loads a shared
# object; they also stub the NSS host/service lookups libevent links but
# ipcscope never reaches (a numeric getnameinfo for evhttp's client names).
# User and group names come from /etc/passwd and /etc/group
# (user/util/names_db.c), never from NSS, in both builds.

STATIC_BIN   := $(BUILD)/ipcscope-static
# The dynamic build's libraries (every mk/*.mk's LDLIBS, so a library an
# area adds is linked here too), in a group because static archives need
# their order; plus what libdw.a and libelf.a need that their shared
# libraries bring along (STATIC_EXTRA_LIBS).
STATIC_EXTRA_LIBS ?= -llzma -lbz2 -lzstd
STATIC_LIBS   = -Wl,--start-group $(LDLIBS) $(STATIC_EXTRA_LIBS) -Wl,--end-group
STATIC_WRAP  := -Wl,--wrap=dlopen,--wrap=dlsym,--wrap=dlclose,--wrap=dlerror \
		-Wl,--wrap=getaddrinfo,--wrap=freeaddrinfo,--wrap=getnameinfo \
		-Wl,--wrap=getservbyname,--wrap=getprotobynumber

.PHONY: static
static: $(STATIC_BIN)

$(BUILD)/obj/static/%.o: static/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(STATIC_BIN): $(BUILD)/obj/user/main.o $(LIB) $(BUILD)/obj/static/stubs.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -static -o $@.tmp -Wl,--whole-archive $(LIB) -Wl,--no-whole-archive \
		$(BUILD)/obj/user/main.o $(BUILD)/obj/static/stubs.o $(STATIC_WRAP) $(STATIC_LIBS)
	$(Q)mv $@.tmp $@

# STATIC=1: the tests run build/ipcscope-static (tests/conftest.py reads
# IPCSCOPE_BIN); the dynamic binary is still built, for the tests that
# build or install it.
ifeq ($(STATIC),1)
tests-build: $(STATIC_BIN)
export IPCSCOPE_BIN := $(abspath $(STATIC_BIN))
endif

# make image: build/ipcscope.oci.tar, an OCI image from scratch around the
# static binary (scripts/image/build.sh, umoci, offline).  IMAGE_SOURCE is
# the org.opencontainers.image.source label: the origin remote's URL, else
# this checkout.
IMAGE        := $(BUILD)/ipcscope.oci.tar
IMAGE_SOURCE ?= $(shell git remote get-url origin 2>/dev/null || echo file://$(CURDIR))

.PHONY: image
image: $(IMAGE)

$(IMAGE): $(STATIC_BIN) $(wildcard scripts/image/*)
	$(call msg,IMAGE,$@)
	@# the label says what the binary says (it may predate a later edit of the tree)
	$(Q)scripts/image/build.sh $(STATIC_BIN) "$$($(STATIC_BIN) --version | cut -d' ' -f2)" \
		'$(IMAGE_SOURCE)' $@ >/dev/null
