# mk/integration.mk - the real xenballoond against the real xenstored.
#
#   check-integration   release build, every case
#   check-asan          ASan/UBSan build of the daemon, every case
#   check-valgrind      valgrind memcheck on the release build, every case
#                       (time limits scaled x20 and said so)
#
# T=NAME runs only the cases whose name contains NAME.

INTEG        := tests/integration/test_daemon.py
VALGRIND     := valgrind --quiet --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect

check-integration: harness $(BUILD)/xenballoond | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) $(INTEG) --result $(RESULTS)/integration --suite integration \
		--workdir $(BUILD)/it/rel --daemon $(abspath $(BUILD)/xenballoond)

check-asan: harness $(BUILD)/san/xenballoond | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(XSD_ENV) $(PYTEST) $(INTEG) --result $(RESULTS)/integration-asan \
		--suite integration-asan --workdir $(BUILD)/it/san \
		--daemon $(abspath $(BUILD)/san/xenballoond)

check-valgrind: harness $(BUILD)/xenballoond | $(BUILD)/.deps-test
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) $(INTEG) --result $(RESULTS)/integration-valgrind \
		--suite integration-valgrind --workdir $(BUILD)/it/vg --wrapper "$(VALGRIND)" \
		--daemon $(abspath $(BUILD)/xenballoond)

CHECK_TARGETS += check-integration check-asan check-valgrind

.PHONY: check-integration check-asan check-valgrind
