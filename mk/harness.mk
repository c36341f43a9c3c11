# mk/harness.mk - the real xenstored (Debian 12, Xen 4.17) for the tests.
#
#   make harness          fetch and unpack the Xen packages into
#                         $(BUILD)/xen (never installed system-wide) and
#                         build the LD_PRELOAD shim $(XSD_SHIM)
#   make check-harness    self-test of the harness against the real daemon;
#                         result line "PASSED FAILED" in $(RESULTS)/harness
#
# Other fragments: depend on `harness` and put $(XSD_ENV) in front of the
# test command, e.g.
#
#   check-integration: harness $(BUILD)/xenballoond | $(BUILD)/.deps-test
#           $(XSD_ENV) $(PYTEST) tests/integration/test_daemon.py ...
#
# Then tests/harness/xs.py (Xenstored, XS) and tests/harness/xenstored.sh
# find the daemon and the shim through XB_XEN_ROOT / XB_SHIM.

XEN_DIR       := $(BUILD)/xen
XEN_ROOT      := $(XEN_DIR)/root
XEN_STAMP     := $(XEN_DIR)/.stamp
XSD_SHIM      := $(BUILD)/harness/xsd_shim.so
XSD_BIN       := $(XEN_ROOT)/usr/lib/xen-4.17/bin/xenstored
XSD_ENV        = XB_XEN_ROOT=$(abspath $(XEN_ROOT)) XB_SHIM=$(abspath $(XSD_SHIM)) \
		 PYTHONPATH=$(abspath tests/harness)$(if $(PYTHONPATH),:$(PYTHONPATH)) \
		 PYTHONDONTWRITEBYTECODE=1

# Every Python suite runs under pytest (tests/pytest.ini, the shared
# fixtures and the result file in tests/conftest.py). T=NAME runs the cases
# whose name contains NAME (pytest -k NAME), e.g.
#   make check-integration T=garbage
PYTEST        = $(PYTHON) -m pytest $(if $(T),-k '$(T)')

# The cache $(XEN_DIR)/debs survives `make clean`; fetch-xen.sh is
# idempotent, the stamp only saves the call.
$(XEN_STAMP): tests/harness/fetch-xen.sh
	sh tests/harness/fetch-xen.sh $(XEN_DIR)
	@touch $@

# An old stamp without the unpacked tree: fetch (from the cache) again.
ifeq ($(wildcard $(XSD_BIN)),)
.PHONY: $(XEN_STAMP)
endif

# No sanitizers or user CFLAGS: the shim is preloaded into xenstored.
$(XSD_SHIM): tests/harness/xsd_shim.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(OPT) -fPIC -shared -o $@ $< -ldl

harness: $(XEN_STAMP) $(XSD_SHIM)

check-harness: harness | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) tests/harness/selftest.py --result $(RESULTS)/harness \
		--suite harness --workdir $(BUILD)/harness

CHECK_TARGETS += check-harness

.PHONY: harness check-harness
