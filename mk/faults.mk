# mk/faults.mk - the fault matrix and the soak (tests/faults/).
#
#   check-faults        every fault of tests/faults/test_faults.py (kernel
#                       files, balloon writes, preswap, xenstored, xenstore
#                       values, config reload, signals, pidfile) against the
#                       release build; result line "PASSED FAILED" in
#                       $(RESULTS)/faults
#   check-faults-asan   the same matrix against the ASan/UBSan build;
#                       $(RESULTS)/faults-asan
#   T=NAME              (with either) only the faults whose name contains NAME
#   check-soak          20000 ticks at --interval 0 under valgrind memcheck
#                       with two xenstored restarts, then the ASan/UBSan
#                       build the same way; $(RESULTS)/soak
#
# The matrix needs root (chattr +i, setpriv, unshare/nsenter, mount), like
# the rest of `make check`. Logs of every case stay under $(FAULTS_DIR).

FAULTS_DIR      := $(BUILD)/faults
FAULTS_SHIM     := $(FAULTS_DIR)/faultinj.so
FAULTS_VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
		   --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
FAULTS_SAN_ENV  := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
		   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# chattr (e2fsprogs), setpriv/unshare/nsenter/mount (util-linux, mount).
$(BUILD)/.deps-faults: | $(BUILD)/.deps-test
	sh scripts/deps.sh e2fsprogs util-linux mount valgrind
	@touch $@

# The fault injector is preloaded into the daemon under test: no
# sanitizers or user CFLAGS, like the xenstored shim.
$(FAULTS_SHIM): tests/faults/faultinj.c | $(BUILD)/.deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(OPT) -fPIC -shared -o $@ $< -ldl

check-faults: harness $(BUILD)/xenballoond $(FAULTS_SHIM) | $(BUILD)/.deps-faults
	@mkdir -p $(RESULTS)
	$(XSD_ENV) $(PYTEST) tests/faults/test_faults.py --result $(RESULTS)/faults \
		--suite faults --workdir $(FAULTS_DIR)/rel \
		--daemon $(abspath $(BUILD)/xenballoond) --shim $(abspath $(FAULTS_SHIM))

check-faults-asan: harness $(BUILD)/san/xenballoond $(FAULTS_SHIM) | $(BUILD)/.deps-faults
	@mkdir -p $(RESULTS)
	$(FAULTS_SAN_ENV) $(XSD_ENV) $(PYTEST) tests/faults/test_faults.py \
		--result $(RESULTS)/faults-asan --suite faults-asan --workdir $(FAULTS_DIR)/san \
		--daemon $(abspath $(BUILD)/san/xenballoond) --shim $(abspath $(FAULTS_SHIM))

check-soak: harness $(BUILD)/xenballoond $(BUILD)/san/xenballoond | $(BUILD)/.deps-faults
	@mkdir -p $(RESULTS)
	$(FAULTS_SAN_ENV) $(XSD_ENV) $(PYTEST) tests/faults/soak.py --result $(RESULTS)/soak \
		--suite soak --workdir $(FAULTS_DIR)/soak --ticks 20000 \
		--daemon $(abspath $(BUILD)/xenballoond) --wrapper "$(FAULTS_VALGRIND)" \
		--san-daemon $(abspath $(BUILD)/san/xenballoond)

CHECK_TARGETS += check-faults check-faults-asan check-soak

.PHONY: check-faults check-faults-asan check-soak
