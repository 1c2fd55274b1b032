# Recording format: the reader's libFuzzer target.
#
#   make fuzz                     fuzz the reader for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=600
#   make fuzz-corpus              replay tests/fuzz/corpus once (regression)
#
# The seed corpus in tests/fuzz/corpus holds real recordings (and damaged
# ones); new interesting inputs go to $(BUILD)/fuzz/corpus, crashes to
# $(BUILD)/fuzz/crash-*.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= $(CLANG)
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_reader
FUZZ_SRCS    := tests/fuzz/fuzz_reader.c user/record/codec.c user/record/reader.c \
		user/record/writer.c user/source/file.c user/tables/procmeta.c \
		user/event.c user/errors.c user/opts.c user/view/jsonw.c

.PHONY: fuzz fuzz-corpus

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard user/record/*.h) user/source/file.h $(BUILD)/version.h
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -I$(BUILD) -Ibpf -Iuser \
		-o $@ $(FUZZ_SRCS) -lz -lelf -ldw

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus
	$(Q)cd $(FUZZ_DIR) && ./fuzz_reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus $(abspath tests/fuzz/corpus)

fuzz-corpus: $(FUZZ_BIN)
	$(Q)$(FUZZ_BIN) -runs=0 $(abspath tests/fuzz/corpus)
