# xenballoond - in-guest Xen memory ballooning daemon.
#
#   make            build build/xenballoond, build/xenballoon-monitor and
#                   build/xenballoon-balancer
#   make check      every test: unit (plain and ASan/UBSan), integration
#                   against the real xenstored, valgrind, lint, install,
#                   end to end in a real Xen guest
#   make bench      the performance table
#   make bench-balancer  the dom0 balancer with 10, 50 and 200 fake guests
#   make bench-policy  selfballooning policies side by side in a real guest
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
TEST_DEPS    := check valgrind clang clang-tidy cppcheck python3 python3-pytest \
		xenstore-utils shellcheck

# Recursively expanded: pkg-config only runs once the dependencies exist.
PKG_CFLAGS    = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS      = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS  = $(shell pkg-config --cflags check)
CHECK_LIBS    = $(shell pkg-config --libs check)

WARN         := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
DEFS         := -D_GNU_SOURCE -DXB_VERSION='"$(VERSION)"' \
		-DXB_SYSCONFDIR='"$(SYSCONFDIR)"' -DXB_RUNSTATEDIR='"$(RUNSTATEDIR)"'
OPT          ?= -O2 -g
# Headers sit beside their sources: src/common/ for what both programs
# use, src/daemon/ and src/monitor/ for each program's own modules.
COMMON_INC   := -Isrc/common
DAEMON_INC   := $(COMMON_INC) -Isrc/daemon
MONITOR_INC  := $(COMMON_INC) -Isrc/monitor
BALANCER_INC := $(COMMON_INC) -Isrc/balancer
XCFLAGS       = -std=gnu11 $(WARN) $(OPT) $(DEFS) $(PKG_CFLAGS) $(CFLAGS)

# --- the two programs and what they are made of --------------------------
# src/common is linked as a static archive, so each program takes from it
# only the modules it calls.
COMMON_SRCS  := src/common/log.c src/common/util.c src/common/parse.c src/common/once.c \
		src/common/kfiles.c \
		src/common/xsval.c src/common/stats.c src/common/psi.c \
		src/common/notify.c src/common/daemon.c src/common/kvconf.c \
		src/common/loop.c
# The daemon's modules; xenballoond.c holds main() and the loop.
DAEMON_LIB_SRCS := src/daemon/config.c src/daemon/policy.c src/daemon/balloon.c \
		src/daemon/engine.c src/daemon/xs.c \
		src/daemon/pressure.c src/daemon/psifile.c src/daemon/workingset.c
DAEMON_SRCS  := src/daemon/xenballoond.c $(DAEMON_LIB_SRCS)
MONITOR_SRCS := src/monitor/monitor.c src/monitor/monitor_xs.c \
		src/monitor/monitor_host.c src/monitor/monitor_out.c
# The dom0 balancer's modules; balancer.c holds main() and the loop. It
# alone links libxenlight (libxl), for the hypervisor's figures and to
# set targets as `xl mem-set` does.
BALANCER_LIB_SRCS := src/balancer/alloc.c src/balancer/bconfig.c src/balancer/host.c \
		src/balancer/guests.c src/balancer/bxs.c src/balancer/engine.c
BALANCER_SRCS := src/balancer/balancer.c $(BALANCER_LIB_SRCS)
ALL_SRCS     := $(COMMON_SRCS) $(DAEMON_SRCS) $(MONITOR_SRCS) $(BALANCER_SRCS)
BALANCER_LIBS = $(shell pkg-config --libs xenlight xentoollog) $(PKG_LIBS)

PROGS        := $(BUILD)/xenballoond $(BUILD)/xenballoon-monitor $(BUILD)/xenballoon-balancer

all: $(PROGS)

# --- dependencies ------------------------------------------------------
$(BUILD)/.deps-build:
	@mkdir -p $(BUILD)
	sh scripts/deps.sh $(BUILD_DEPS)
	@touch $@

$(BUILD)/.deps-test: | $(BUILD)/.deps-build
	sh scripts/deps.sh $(TEST_DEPS)
	@touch $@

deps: $(BUILD)/.deps-build $(BUILD)/.deps-test

# --- objects: $(BUILD)/<variant>/src/<dir>/x.o ----------------------------
# variant "rel" is the shipped build; "san" is ASan+UBSan for the tests.
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The include path of a source: its own folder and src/common.
inc_of = $(if $(filter src/monitor/%,$(1)),$(MONITOR_INC),$(if $(filter src/balancer/%,$(1)),$(BALANCER_INC),$(DAEMON_INC)))

$(BUILD)/rel/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(call inc_of,$<) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(call inc_of,$<) $(SAN_FLAGS) -O1 $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

# libcommon.a: the shared modules; libdaemon.a: the daemon's modules but
# main(), for the unit tests. (ar rcs replaces members in place; the
# archive is removed first so a source taken out of the list leaves it.)
define xb_archive
	@rm -f $@
	$(AR) rcs $@ $^
endef

$(BUILD)/rel/libcommon.a: $(call objs,rel,$(COMMON_SRCS))
	$(xb_archive)
$(BUILD)/san/libcommon.a: $(call objs,san,$(COMMON_SRCS))
	$(xb_archive)
$(BUILD)/rel/libdaemon.a: $(call objs,rel,$(DAEMON_LIB_SRCS))
	$(xb_archive)
$(BUILD)/san/libdaemon.a: $(call objs,san,$(DAEMON_LIB_SRCS))
	$(xb_archive)

$(BUILD)/rel/libbalancer.a: $(call objs,rel,$(BALANCER_LIB_SRCS))
	$(xb_archive)
$(BUILD)/san/libbalancer.a: $(call objs,san,$(BALANCER_LIB_SRCS))
	$(xb_archive)

$(BUILD)/xenballoond: $(call objs,rel,src/daemon/xenballoond.c) $(BUILD)/rel/libdaemon.a $(BUILD)/rel/libcommon.a
	$(CC) $(XCFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/san/xenballoond: $(call objs,san,src/daemon/xenballoond.c) $(BUILD)/san/libdaemon.a $(BUILD)/san/libcommon.a
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/xenballoon-monitor: $(call objs,rel,$(MONITOR_SRCS)) $(BUILD)/rel/libcommon.a
	$(CC) $(XCFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/san/xenballoon-monitor: $(call objs,san,$(MONITOR_SRCS)) $(BUILD)/san/libcommon.a
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/xenballoon-balancer: $(call objs,rel,src/balancer/balancer.c) $(BUILD)/rel/libbalancer.a $(BUILD)/rel/libcommon.a
	$(CC) $(XCFLAGS) -o $@ $^ $(BALANCER_LIBS) $(LDFLAGS)

$(BUILD)/san/xenballoon-balancer: $(call objs,san,src/balancer/balancer.c) $(BUILD)/san/libbalancer.a $(BUILD)/san/libcommon.a
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -o $@ $^ $(BALANCER_LIBS) $(LDFLAGS)

# --- unit tests (Check): tests/unit/test_<module>.c, one binary each ----
UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_NAMES   := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
UNIT_REL     := $(addprefix $(BUILD)/rel/tests/,$(UNIT_NAMES))
UNIT_SAN     := $(addprefix $(BUILD)/san/tests/,$(UNIT_NAMES))
UNIT_INC     := $(DAEMON_INC) -Isrc/monitor -Isrc/balancer

$(BUILD)/rel/tests/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/rel/libdaemon.a $(BUILD)/rel/libbalancer.a $(BUILD)/rel/libcommon.a | $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(UNIT_INC) $(CHECK_CFLAGS) -o $@ $(filter-out %.h,$^) $(CHECK_LIBS) $(PKG_LIBS)

$(BUILD)/san/tests/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/san/libdaemon.a $(BUILD)/san/libbalancer.a $(BUILD)/san/libcommon.a | $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(UNIT_INC) $(SAN_FLAGS) -O1 $(CHECK_CFLAGS) -o $@ $(filter-out %.h,$^) $(CHECK_LIBS) $(PKG_LIBS)

RESULTS      := $(BUILD)/results

check-unit: $(UNIT_REL) $(UNIT_SAN)
	@mkdir -p $(RESULTS)
	sh scripts/run-unit.sh $(RESULTS)/unit $(UNIT_REL) $(UNIT_SAN)

# --- lint ----------------------------------------------------------------
check-lint: | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	sh scripts/run-lint.sh $(RESULTS)/lint "$(PKG_CFLAGS) -D_GNU_SOURCE $(DAEMON_INC) -Isrc/monitor -Isrc/balancer" $(ALL_SRCS)

# Fragments own their targets and add to CHECK_TARGETS / ALL_TARGETS.
# Read in this order: harness first (the others use XSD_ENV), e2e and
# bench last.
CHECK_TARGETS :=
include mk/harness.mk mk/integration.mk mk/monitor.mk mk/install.mk \
	mk/fuzz.mk mk/faults.mk mk/balancer.mk mk/e2e.mk mk/bench.mk mk/benchpolicy.mk \
	mk/benchhost.mk mk/deb.mk

all: $(ALL_TARGETS)

# Order matters: fast and local first, the guest boot last.
CHECK_ORDER  := check-harness check-integration check-asan check-valgrind \
		check-monitor check-balancer check-balancer-asan check-balancer-valgrind \
		check-install check-deb check-fuzz check-faults check-faults-asan \
		check-soak check-e2e
CHECK_SUITES  = $(filter $(CHECK_TARGETS),$(CHECK_ORDER)) \
		$(filter-out $(CHECK_ORDER),$(CHECK_TARGETS))

# -k: a failing suite does not stop the others, and the closing line
# (scripts/summary.sh) is printed on every run, failed or not.
check: all
	@rm -rf $(RESULTS)
	@$(MAKE) --no-print-directory -k check-unit check-lint $(CHECK_SUITES); \
	sh scripts/summary.sh $(RESULTS) $$?

clean:
	rm -rf $(BUILD)/rel $(BUILD)/san $(BUILD)/results $(PROGS)

.PHONY: all deps check check-unit check-lint clean
.DELETE_ON_ERROR:
.SECONDARY: $(call objs,rel,$(ALL_SRCS)) $(call objs,san,$(ALL_SRCS))

-include $(shell find $(BUILD)/rel $(BUILD)/san -name '*.d' 2>/dev/null)
