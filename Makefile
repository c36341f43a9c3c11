# xenballoond - in-guest Xen memory ballooning daemon.
#
#   make            build build/xenballoond and build/xenballoon-monitor
#   make check      every test: unit (plain and ASan/UBSan), integration
#                   against the real xenstored, valgrind, lint, install,
#                   end to end in a real Xen guest
#   make bench      the performance table
#   make install    see mk/install.mk (DESTDIR, PREFIX, SBINDIR, ...)
#
# Run as root on a fresh Debian 12 machine, `make` and `make check`
# install the Debian packages they need (scripts/deps.sh).

VERSION      := 0.9.0
PREFIX       ?= /usr
SBINDIR      ?= $(PREFIX)/sbin
SYSCONFDIR   ?= /etc
MANDIR       ?= $(PREFIX)/share/man
RUNSTATEDIR  ?= /run

BUILD        := build
CC           ?= cc
PYTHON       ?= /usr/bin/python3
PKGS         := xenstore libbsd

BUILD_DEPS   := build-essential pkg-config libxen-dev libbsd-dev
TEST_DEPS    := check valgrind clang clang-tidy cppcheck python3 xenstore-utils

# Recursively expanded: pkg-config only runs once the dependencies exist.
PKG_CFLAGS    = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS      = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS  = $(shell pkg-config --cflags check)
CHECK_LIBS    = $(shell pkg-config --libs check)

WARN         := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
DEFS         := -D_GNU_SOURCE -DXB_VERSION='"$(VERSION)"' \
		-DXB_SYSCONFDIR='"$(SYSCONFDIR)"' -DXB_RUNSTATEDIR='"$(RUNSTATEDIR)"'
OPT          ?= -O2 -g
XCFLAGS       = -std=gnu11 $(WARN) $(OPT) $(DEFS) -Iinclude $(PKG_CFLAGS) $(CFLAGS)

# Shared by the daemon, the monitor and the tests: no main(), no globals
# beyond the logger.
LIB_SRCS     := src/log.c src/util.c src/config.c src/kfiles.c src/xsval.c \
		src/policy.c src/balloon.c src/psi.c src/pressure.c
DAEMON_SRCS  := src/xenballoond.c src/engine.c src/xs.c src/daemon.c src/psifile.c
MONITOR_SRCS :=

all: $(BUILD)/xenballoond

# --- dependencies ------------------------------------------------------
$(BUILD)/.deps-build:
	@mkdir -p $(BUILD)
	sh scripts/deps.sh $(BUILD_DEPS)
	@touch $@

$(BUILD)/.deps-test: | $(BUILD)/.deps-build
	sh scripts/deps.sh $(TEST_DEPS)
	@touch $@

deps: $(BUILD)/.deps-build $(BUILD)/.deps-test

# --- objects: $(BUILD)/<variant>/src/x.o --------------------------------
# variant "rel" is the shipped build; "san" is ASan+UBSan for the tests.
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(BUILD)/rel/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -O1 $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

$(BUILD)/xenballoond: $(call objs,rel,$(LIB_SRCS) $(DAEMON_SRCS))
	$(CC) $(XCFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/san/xenballoond: $(call objs,san,$(LIB_SRCS) $(DAEMON_SRCS))
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# --- unit tests (Check): tests/unit/test_<module>.c, one binary each ----
UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_NAMES   := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
UNIT_REL     := $(addprefix $(BUILD)/rel/tests/,$(UNIT_NAMES))
UNIT_SAN     := $(addprefix $(BUILD)/san/tests/,$(UNIT_NAMES))

$(BUILD)/rel/tests/%: tests/unit/%.c tests/unit/testutil.h $(call objs,rel,$(LIB_SRCS)) $(call objs,rel,src/xs.c) | $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CHECK_CFLAGS) -o $@ $(filter-out %.h,$^) $(CHECK_LIBS) $(PKG_LIBS)

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/testutil.h $(call objs,san,$(LIB_SRCS)) $(call objs,san,src/xs.c) | $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -O1 $(CHECK_CFLAGS) -o $@ $(filter-out %.h,$^) $(CHECK_LIBS) $(PKG_LIBS)

RESULTS      := $(BUILD)/results

check-unit: $(UNIT_REL) $(UNIT_SAN)
	@mkdir -p $(RESULTS)
	sh scripts/run-unit.sh $(RESULTS)/unit $(UNIT_REL) $(UNIT_SAN)

# --- lint ----------------------------------------------------------------
LINT_SRCS     = $(LIB_SRCS) $(DAEMON_SRCS) $(MONITOR_SRCS)
check-lint: | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	sh scripts/run-lint.sh $(RESULTS)/lint "$(PKG_CFLAGS) -D_GNU_SOURCE -Iinclude" $(LINT_SRCS)

# Fragments own their targets and add to CHECK_TARGETS / ALL_TARGETS.
CHECK_TARGETS :=
-include mk/*.mk

all: $(ALL_TARGETS)

# Order matters: fast and local first, the guest boot last.
CHECK_ORDER  := check-harness check-integration check-asan check-valgrind \
		check-monitor check-install check-fuzz check-faults check-faults-asan \
		check-soak check-e2e
CHECK_SUITES  = $(filter $(CHECK_TARGETS),$(CHECK_ORDER)) \
		$(filter-out $(CHECK_ORDER),$(CHECK_TARGETS))

check: all
	@rm -rf $(RESULTS)
	$(MAKE) --no-print-directory check-unit check-lint $(CHECK_SUITES)
	@sh scripts/summary.sh $(RESULTS)

clean:
	rm -rf $(BUILD)/rel $(BUILD)/san $(BUILD)/results $(BUILD)/xenballoond $(BUILD)/xenballoon-monitor

.PHONY: all deps check check-unit check-lint clean
.DELETE_ON_ERROR:

-include $(shell find $(BUILD)/rel $(BUILD)/san -name '*.d' 2>/dev/null)
