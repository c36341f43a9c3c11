# mk/fuzz.mk - libFuzzer harnesses for the parsers of untrusted text and
# the monitor's escaping (tests/fuzz/fuzz_<name>.c, seed corpus in
# tests/fuzz/corpus/fuzz_<name>/ plus the sample files of tests/data/
# named in FUZZ_DATA_fuzz_<name>).
#
#   make fuzz         fuzz each harness for FUZZ_SECONDS (default 60);
#                     the growing corpus lives in $(BUILD)/fuzz/corpus,
#                     crashes in $(BUILD)/fuzz/artifacts; fails on a crash
#   make check-fuzz   replay each harness over its seed corpus once (fast,
#                     part of `make check`); writes $(RESULTS)/fuzz
#
# A crash found by `make fuzz` (an artifact in $(BUILD)/fuzz/artifacts/)
# is copied into tests/fuzz/corpus/<harness>/ so check-fuzz replays it
# from then on, and gets a unit test in tests/unit/.
#
# Built with clang -fsanitize=fuzzer,address,undefined. The library
# sources are compiled again for this (with coverage instrumentation)
# into $(BUILD)/fuzz/obj.

FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
# Debian's clang only recommends the libFuzzer runtime.
FUZZ_DEPS     := clang libclang-rt-14-dev

FUZZ_NAMES    := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_BINS     := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
FUZZ_OBJS     := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(COMMON_SRCS) $(DAEMON_LIB_SRCS) \
		 src/monitor/monitor_out.c src/balancer/guests.c src/balancer/bconfig.c)
# The unit tests' sample kernel files are seeds too, kept in one place.
FUZZ_DATA_fuzz_balloon := $(wildcard tests/data/balloon-legacy*)
FUZZ_DATA_fuzz_meminfo := $(wildcard tests/data/meminfo-* tests/data/vmstat-*)
# For the shell loops: seeds_<name>="<files>" for each harness.
FUZZ_SEED_VARS = $(foreach n,$(FUZZ_NAMES),seeds_$(n)="$(FUZZ_DATA_$(n))";)
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BASE      = -std=gnu11 -g -O1 $(DEFS) $(DAEMON_INC) -Isrc/monitor -Isrc/balancer $(PKG_CFLAGS)
# The harnesses are ours: warnings are errors. The library is compiled
# here by clang, whose warnings differ from gcc's; they are shown, and
# caught as errors by the gcc builds and the lint.
FUZZ_HWARN    := -Wall -Wextra -Werror -Wshadow -Wvla
FUZZ_LWARN    := -Wall -Wextra

# Replay/fuzz options common to both targets.
FUZZ_OPTS     := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

$(BUILD)/.deps-fuzz: | $(BUILD)/.deps-build
	sh scripts/deps.sh $(FUZZ_DEPS)
	@touch $@

$(FUZZ_DIR)/obj/%.o: %.c | $(BUILD)/.deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) $(FUZZ_LWARN) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_OBJS) | $(BUILD)/.deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) $(FUZZ_HWARN) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(PKG_LIBS)

# Keep the objects: make would otherwise delete them as intermediates.
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

# Each harness runs over a working copy of its seed corpus, so the
# source tree only changes when someone copies a new seed in by hand.
# Exit status 0 only when no harness found a crash, leak or timeout.
fuzz: $(FUZZ_BINS)
	@fail=0; $(FUZZ_SEED_VARS) \
	for n in $(FUZZ_NAMES); do \
		eval "data=\$$seeds_$$n"; \
		mkdir -p $(FUZZ_DIR)/corpus/$$n $(FUZZ_DIR)/artifacts/$$n; \
		cp -n tests/fuzz/corpus/$$n/* $$data $(FUZZ_DIR)/corpus/$$n/ 2>/dev/null; \
		dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		if $(FUZZ_DIR)/$$n $(FUZZ_OPTS) $$dict -max_total_time=$(FUZZ_SECONDS) \
		    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$n/ \
		    $(FUZZ_DIR)/corpus/$$n > $(FUZZ_DIR)/$$n.log 2>&1; then \
			echo "fuzz: $$n clean: $$(grep -E '^stat::number_of_executed_units' $(FUZZ_DIR)/$$n.log | sed 's/.*: *//') execs, corpus $$(ls $(FUZZ_DIR)/corpus/$$n | wc -l) inputs"; \
		else \
			fail=$$((fail + 1)); \
			echo "fuzz: $$n FAILED, see $(FUZZ_DIR)/$$n.log and $(FUZZ_DIR)/artifacts/$$n/"; \
			grep -E 'ERROR|Assertion|SUMMARY|runtime error' $(FUZZ_DIR)/$$n.log | head -n 5; \
		fi; \
	done; \
	[ $$fail -eq 0 ]

# Regression: every seed once, through every sanitizer. A harness whose
# whole corpus runs clean counts as one passed check.
check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(RESULTS)
	@p=0; f=0; $(FUZZ_SEED_VARS) \
	for n in $(FUZZ_NAMES); do \
		eval "data=\$$seeds_$$n"; \
		if [ -z "$$(ls -A tests/fuzz/corpus/$$n 2>/dev/null)" ]; then \
			echo "check-fuzz: $$n has no seed corpus in tests/fuzz/corpus/$$n"; \
			f=$$((f + 1)); continue; \
		fi; \
		if $(FUZZ_DIR)/$$n $(FUZZ_OPTS) -runs=0 tests/fuzz/corpus/$$n/* $$data \
		    > $(FUZZ_DIR)/$$n.replay.log 2>&1; then \
			p=$$((p + 1)); \
		else \
			f=$$((f + 1)); \
			echo "check-fuzz: $$n failed on its corpus, see $(FUZZ_DIR)/$$n.replay.log"; \
			grep -E 'ERROR|Assertion|SUMMARY|runtime error|Running' $(FUZZ_DIR)/$$n.replay.log | tail -n 5; \
		fi; \
	done; \
	echo "$$p $$f" > $(RESULTS)/fuzz; \
	echo "fuzz: $$p passed, $$f failed"; \
	[ $$f -eq 0 ]

fuzz-clean:
	rm -rf $(FUZZ_DIR)

CHECK_TARGETS += check-fuzz

.PHONY: fuzz fuzz-build check-fuzz fuzz-clean

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
