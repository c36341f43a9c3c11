# mk/balancer.mk - tests of xenballoon-balancer, the dom0 balancer
# (src/balancer/, xenballoon-balancer(8)).
#
#   check-balancer           tests/balancer/test_balancer.py: the release
#                            build against the real xenstored (tests/harness)
#                            and a STAND-IN for the hypervisor: fakexl.so,
#                            preloaded, answers the few libxl calls the
#                            balancer makes from a fake host the test's
#                            fake guests live in (tests/balancer/fakehv.py)
#   check-balancer-asan      the same cases, ASan/UBSan build
#   check-balancer-valgrind  the same cases under valgrind memcheck (time
#                            limits scaled, and said so)
#   bench-balancer           the scale table: 10, 50 and 200 fake guests
#                            (bench/balancer.py); not part of `make check`
#
# T=NAME runs only the cases whose name contains NAME.

BAL_TEST     := tests/balancer/test_balancer.py
FAKEXL       := $(BUILD)/harness/fakexl.so
# ASan wants its runtime first among the preloads; fakexl.so comes first
# here, and defines nothing ASan intercepts.
BAL_SAN_ENV  := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:verify_asan_link_order=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Preloaded into the balancer under test: no sanitizers or user CFLAGS.
$(FAKEXL): tests/balancer/fakexl.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(OPT) -fPIC -shared -o $@ $< $(shell pkg-config --libs xenstore)

BAL_ARGS      = --fakexl $(abspath $(FAKEXL)) \
		--monitor $(abspath $(BUILD)/xenballoon-monitor)

check-balancer: harness $(BUILD)/xenballoon-balancer $(BUILD)/xenballoon-monitor $(FAKEXL) | $(BUILD)/.deps-monitor
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) $(BAL_TEST) --result $(RESULTS)/balancer --suite balancer \
		--workdir $(BUILD)/bal/rel --balancer $(abspath $(BUILD)/xenballoon-balancer) $(BAL_ARGS)

check-balancer-asan: harness $(BUILD)/san/xenballoon-balancer $(BUILD)/xenballoon-monitor $(FAKEXL) | $(BUILD)/.deps-monitor
	@mkdir -p $(RESULTS)
	$(BAL_SAN_ENV) $(XSD_ENV) $(PYTEST) $(BAL_TEST) --result $(RESULTS)/balancer-asan \
		--suite balancer-asan --workdir $(BUILD)/bal/san \
		--balancer $(abspath $(BUILD)/san/xenballoon-balancer) $(BAL_ARGS)

check-balancer-valgrind: harness $(BUILD)/xenballoon-balancer $(BUILD)/xenballoon-monitor $(FAKEXL) | $(BUILD)/.deps-monitor
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) $(BAL_TEST) --result $(RESULTS)/balancer-valgrind \
		--suite balancer-valgrind --workdir $(BUILD)/bal/vg --wrapper "$(VALGRIND)" \
		--balancer $(abspath $(BUILD)/xenballoon-balancer) $(BAL_ARGS)

CHECK_TARGETS += check-balancer check-balancer-asan check-balancer-valgrind

# BENCH_GUESTS="10 50 200" and BENCH_CHANGES=N (published rises per run).
BENCH_GUESTS  ?= 10 50 200
BENCH_CHANGES ?= 400

bench-balancer: harness $(BUILD)/xenballoon-balancer $(BUILD)/xenballoon-monitor $(FAKEXL) | $(BUILD)/.deps-test
	$(XSD_ENV) $(PYTHON) bench/balancer.py $(BUILD)/bench-balancer \
		--balancer $(abspath $(BUILD)/xenballoon-balancer) --fakexl $(abspath $(FAKEXL)) \
		--monitor $(abspath $(BUILD)/xenballoon-monitor) --guests "$(BENCH_GUESTS)" \
		--changes $(BENCH_CHANGES) --out $(BUILD)/bench-balancer/results.md

.PHONY: check-balancer check-balancer-asan check-balancer-valgrind bench-balancer
