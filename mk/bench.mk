# mk/bench.mk - the performance table (bench/, see bench/bench.py).
#
#   make bench    the real xenballoond and bench/floor.c (the unavoidable
#                 work of a tick) against the real xenstored, on fake
#                 kernel files; prints the table and writes it to
#                 $(BENCH_DIR)/results.md. Not part of `make check`.
#                 About 3-4 minutes; BENCH_TICKS, BENCH_MEM_TICKS,
#                 BENCH_ROUNDS, BENCH_REACT_WRITES, BENCH_IDLE_SECONDS and
#                 BENCH_ROOTS in the environment change what it does.

BENCH_DIR      := $(BUILD)/bench
BENCH_BINS     := $(BENCH_DIR)/floor $(BENCH_DIR)/spawn $(BENCH_DIR)/kfiles_shim.so
# Recursively expanded: pkg-config runs once the dependencies exist.
BENCH_XS_CFLAGS = $(shell pkg-config --cflags xenstore)
BENCH_XS_LIBS   = $(shell pkg-config --libs xenstore)
# The floor is compiled like the daemon (same optimisation, same CFLAGS),
# so the two are compared on equal terms.
BENCH_CFLAGS    = -std=gnu11 $(WARN) $(OPT) -D_GNU_SOURCE $(CFLAGS)

# src/daemon/xs.h: the same limit per published value as the daemon.
$(BENCH_DIR)/floor: bench/floor.c src/daemon/xs.h src/daemon/config.h src/common/stats.h | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(DAEMON_INC) $(BENCH_XS_CFLAGS) -o $@ $< $(BENCH_XS_LIBS) $(LDFLAGS)

$(BENCH_DIR)/spawn: bench/spawn.c | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDFLAGS)

# Preloaded into both programs: no sanitizers, position independent.
$(BENCH_DIR)/kfiles_shim.so: bench/kfiles_shim.c | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(OPT) -D_GNU_SOURCE -fPIC -shared -o $@ $<

bench: harness $(BUILD)/xenballoond $(BENCH_BINS) | $(BUILD)/.deps-test
	$(XSD_ENV) $(PYTHON) bench/bench.py $(BENCH_DIR)/work \
		--daemon $(abspath $(BUILD)/xenballoond) --floor $(abspath $(BENCH_DIR)/floor) \
		--spawn $(abspath $(BENCH_DIR)/spawn) --shim $(abspath $(BENCH_DIR)/kfiles_shim.so) \
		--out $(BENCH_DIR)/results.md

.PHONY: bench
