# mk/monitor.mk - xenballoon-monitor, the dom0 tool (BEHAVIOR section 8).
#
#   make                  also builds $(BUILD)/xenballoon-monitor from the
#                         shared parsers ($(LIB_SRCS)) and src/monitor*.c
#   make check-monitor    tests/monitor/test_monitor.py against the real
#                         xenstored (tests/harness), release and ASan/UBSan
#                         builds; result line "PASSED FAILED" in
#                         $(RESULTS)/monitor; T=NAME runs the cases whose
#                         name contains NAME

MONITOR_SRCS := src/monitor.c src/monitor_xs.c src/monitor_host.c src/monitor_out.c

$(BUILD)/xenballoon-monitor: $(call objs,rel,$(LIB_SRCS) $(MONITOR_SRCS))
	$(CC) $(XCFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/san/xenballoon-monitor: $(call objs,san,$(LIB_SRCS) $(MONITOR_SRCS))
	$(CC) $(XCFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

ALL_TARGETS += $(BUILD)/xenballoon-monitor

check-monitor: harness $(BUILD)/xenballoon-monitor $(BUILD)/san/xenballoon-monitor | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(XSD_ENV) $(PYTEST) tests/monitor/test_monitor.py --result $(RESULTS)/monitor \
		--suite monitor --workdir $(BUILD)/monitor-test \
		--monitor $(abspath $(BUILD)/xenballoon-monitor) \
		--san-monitor $(abspath $(BUILD)/san/xenballoon-monitor)

CHECK_TARGETS += check-monitor

.PHONY: check-monitor
