# SPDX-License-Identifier: GPL-2.0-only
# mk/install.mk - install like a system daemon.
#
#   make install    [DESTDIR=] [PREFIX=] [SBINDIR=] [SYSCONFDIR=] [MANDIR=]
#                   [RUNSTATEDIR=] [SYSTEMDUNITDIR=] [INITDIR=] [TEXTFILEDIR=]
#   make uninstall  (same variables) reverses it
#   make check-install
#
# The init script, the systemd unit and the man pages are filled in from
# templates (@SBINDIR@ and friends) into $(BUILD)/gen/ with the same
# values the daemon is compiled with, and are rebuilt, with the daemon,
# when a value changes: an installed tree always agrees with itself.

SYSTEMDUNITDIR ?= /lib/systemd/system
INITDIR        ?= $(SYSCONFDIR)/init.d
# Where Debian's prometheus-node-exporter reads *.prom files (dom0).
TEXTFILEDIR    ?= /var/lib/prometheus/node-exporter
CONFDIR         = $(SYSCONFDIR)/sysconfig
MAN5DIR         = $(MANDIR)/man5
MAN8DIR         = $(MANDIR)/man8
INSTALL        ?= install

GEN            := $(BUILD)/gen
GEN_INIT       := $(GEN)/xenballoond.init
GEN_UNIT       := $(GEN)/xenballoond.service
# For domain 0: xenballoon-monitor --textfile, every 15 s.
GEN_TEXTFILE   := $(GEN)/xenballoon-monitor-textfile.service $(GEN)/xenballoon-monitor-textfile.timer
# For domain 0: the balancer's init script and unit.
GEN_BAL_INIT   := $(GEN)/xenballoon-balancer.init
GEN_BAL_UNIT   := $(GEN)/xenballoon-balancer.service
MAN_IN         := man/xenballoon.conf.5.in man/xenballoond.8.in man/xenballoon-monitor.8.in \
		  man/xenballoon-balancer.8.in man/xenballoon-balancer.conf.5.in
GEN_MAN        := $(patsubst man/%.in,$(GEN)/%,$(MAN_IN))
GEN_FILES      := $(GEN_INIT) $(GEN_UNIT) $(GEN_TEXTFILE) $(GEN_BAL_INIT) $(GEN_BAL_UNIT) \
		  $(GEN_MAN)

ALL_TARGETS    += $(GEN_FILES)

# --- templates ----------------------------------------------------------
SUBST_VARS     := VERSION PREFIX SBINDIR SYSCONFDIR RUNSTATEDIR MANDIR \
		  SYSTEMDUNITDIR INITDIR TEXTFILEDIR
SUBST_SED       = $(foreach v,$(SUBST_VARS),-e 's|@$(v)@|$($(v))|g')

# The values in use, rewritten only when one changes, so that what depends
# on it is rebuilt exactly then. (A temporary file per process: several
# makes may run this at once, as make check's sub-makes do.)
$(GEN)/vars: xb-gen-force
	@mkdir -p $(@D)
	@t=$@.tmp.$$$$; printf '%s\n' $(foreach v,$(SUBST_VARS),'$(v)=$($(v))') > $$t; \
	if cmp -s $$t $@; then rm -f $$t; else mv -f $$t $@; fi

# The objects that compile those values in (-DXB_SYSCONFDIR and friends).
XB_PATH_SRCS   := $(shell grep -l -e XB_SYSCONFDIR -e XB_RUNSTATEDIR -e XB_VERSION \
		  $(ALL_SRCS) 2>/dev/null)
$(call objs,rel,$(XB_PATH_SRCS)) $(call objs,san,$(XB_PATH_SRCS)): $(GEN)/vars

# Fill in a template; fail on any placeholder left unfilled.
define xb_subst
	@mkdir -p $(@D)
	sed $(SUBST_SED) $< > $@.tmp
	@if grep -n '@[A-Z][A-Z_]*@' $@.tmp; then \
		echo "$<: placeholder not filled in" >&2; rm -f $@.tmp; exit 1; fi
	$(if $(filter $(GEN_INIT) $(GEN_BAL_INIT),$@),chmod 0755 $@.tmp)
	mv -f $@.tmp $@
endef

$(GEN_INIT): init/xenballoond.in $(GEN)/vars
	$(xb_subst)

$(GEN_UNIT): init/xenballoond.service.in $(GEN)/vars
	$(xb_subst)

$(GEN)/xenballoon-monitor-textfile.%: init/xenballoon-monitor-textfile.%.in $(GEN)/vars
	$(xb_subst)

$(GEN_BAL_INIT): init/xenballoon-balancer.in $(GEN)/vars
	$(xb_subst)

$(GEN_BAL_UNIT): init/xenballoon-balancer.service.in $(GEN)/vars
	$(xb_subst)

$(GEN)/%.5: man/%.5.in $(GEN)/vars
	$(xb_subst)

$(GEN)/%.8: man/%.8.in $(GEN)/vars
	$(xb_subst)

# --- install / uninstall --------------------------------------------------
install: $(PROGS) $(GEN_FILES)
	$(INSTALL) -d "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(CONFDIR)" \
		"$(DESTDIR)$(INITDIR)" "$(DESTDIR)$(SYSTEMDUNITDIR)" \
		"$(DESTDIR)$(MAN5DIR)" "$(DESTDIR)$(MAN8DIR)"
	$(INSTALL) -m 0755 $(PROGS) "$(DESTDIR)$(SBINDIR)/"
	$(INSTALL) -m 0755 $(GEN_INIT) "$(DESTDIR)$(INITDIR)/xenballoond"
	$(INSTALL) -m 0644 $(GEN_UNIT) "$(DESTDIR)$(SYSTEMDUNITDIR)/xenballoond.service"
	$(INSTALL) -m 0644 $(GEN_TEXTFILE) "$(DESTDIR)$(SYSTEMDUNITDIR)/"
	$(INSTALL) -m 0755 $(GEN_BAL_INIT) "$(DESTDIR)$(INITDIR)/xenballoon-balancer"
	$(INSTALL) -m 0644 $(GEN_BAL_UNIT) "$(DESTDIR)$(SYSTEMDUNITDIR)/xenballoon-balancer.service"
	$(INSTALL) -m 0644 $(filter %.5,$(GEN_MAN)) "$(DESTDIR)$(MAN5DIR)/"
	$(INSTALL) -m 0644 $(filter %.8,$(GEN_MAN)) "$(DESTDIR)$(MAN8DIR)/"
	@# An administrator's configuration is never overwritten.
	@for c in xenballoon.conf xenballoon-balancer.conf; do \
		if [ -e "$(DESTDIR)$(CONFDIR)/$$c" ]; then \
			echo "install: keeping the existing $(DESTDIR)$(CONFDIR)/$$c"; \
		else \
			echo "$(INSTALL) -m 0644 conf/$$c $(DESTDIR)$(CONFDIR)/$$c"; \
			$(INSTALL) -m 0644 "conf/$$c" "$(DESTDIR)$(CONFDIR)/$$c"; \
		fi; \
	done

# Removes what install put there. The configuration goes only when it is
# still the shipped one; a changed one is kept, as a package manager would.
uninstall:
	rm -f "$(DESTDIR)$(SBINDIR)/xenballoond" "$(DESTDIR)$(SBINDIR)/xenballoon-monitor" \
		"$(DESTDIR)$(SBINDIR)/xenballoon-balancer"
	rm -f "$(DESTDIR)$(INITDIR)/xenballoond" "$(DESTDIR)$(INITDIR)/xenballoon-balancer"
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/xenballoond.service" \
		"$(DESTDIR)$(SYSTEMDUNITDIR)/xenballoon-balancer.service"
	rm -f $(foreach u,$(GEN_TEXTFILE),"$(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(u))")
	rm -f $(foreach m,$(filter %.5,$(GEN_MAN)),"$(DESTDIR)$(MAN5DIR)/$(notdir $(m))") \
		$(foreach m,$(filter %.8,$(GEN_MAN)),"$(DESTDIR)$(MAN8DIR)/$(notdir $(m))")
	@for c in xenballoon.conf xenballoon-balancer.conf; do \
		f="$(DESTDIR)$(CONFDIR)/$$c"; \
		if cmp -s "conf/$$c" "$$f"; then \
			echo "rm -f $$f"; rm -f "$$f"; \
		elif [ -e "$$f" ]; then \
			echo "uninstall: keeping $$f (changed since installed)"; \
		fi; \
	done

# --- tests ----------------------------------------------------------------
check-install: $(PROGS) $(GEN_FILES)
	@mkdir -p $(RESULTS)
	TOP="$(CURDIR)" BUILD="$(abspath $(BUILD))" GEN="$(abspath $(GEN))" \
		XB_MAKE_BUILD="$(BUILD)" \
		sh tests/install/lib/run.sh $(RESULTS)/install $(sort $(wildcard tests/install/*.sh))

CHECK_TARGETS  += check-install

# `make clean` also forgets the filled-in templates.
clean: clean-gen
clean-gen:
	rm -rf $(GEN)

.PHONY: install uninstall check-install clean-gen xb-gen-force
