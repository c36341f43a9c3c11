# mk/monitor.mk - tests of xenballoon-monitor, the dom0 tool (see
# xenballoon-monitor(8); the Makefile builds it from src/monitor/ and
# src/common/).
#
#   make check-monitor    tests/monitor/test_monitor.py against the real
#                         xenstored (tests/harness), release and ASan/UBSan
#                         builds; result line "PASSED FAILED" in
#                         $(RESULTS)/monitor; T=NAME runs the cases whose
#                         name contains NAME

# The real node_exporter serves the --textfile output; the Prometheus
# client library's parser reads what it serves.
$(BUILD)/.deps-monitor: | $(BUILD)/.deps-test
	sh scripts/deps.sh prometheus-node-exporter python3-prometheus-client
	@touch $@

check-monitor: harness $(BUILD)/xenballoon-monitor $(BUILD)/san/xenballoon-monitor | $(BUILD)/.deps-monitor
	@mkdir -p $(RESULTS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(XSD_ENV) $(PYTEST) tests/monitor/test_monitor.py --result $(RESULTS)/monitor \
		--suite monitor --workdir $(BUILD)/monitor-test \
		--monitor $(abspath $(BUILD)/xenballoon-monitor) \
		--san-monitor $(abspath $(BUILD)/san/xenballoon-monitor)

CHECK_TARGETS += check-monitor

.PHONY: check-monitor
