# mk/monitor.mk - tests of xenballoon-monitor, the dom0 tool (see
# xenballoon-monitor(8); the Makefile builds it from src/monitor/ and
# src/common/).
#
#   make check-monitor    tests/monitor/test_monitor.py against the real
#                         xenstored (tests/harness), release and ASan/UBSan
#                         builds; result line "PASSED FAILED" in
#                         $(RESULTS)/monitor

check-monitor: harness $(BUILD)/xenballoon-monitor $(BUILD)/san/xenballoon-monitor | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(XSD_ENV) $(PYTHON) tests/monitor/test_monitor.py $(RESULTS)/monitor $(BUILD)/monitor-test \
		--bin $(abspath $(BUILD)/xenballoon-monitor) \
		--san-bin $(abspath $(BUILD)/san/xenballoon-monitor)

CHECK_TARGETS += check-monitor

.PHONY: check-monitor
