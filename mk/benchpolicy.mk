# mk/benchpolicy.mk - selfballooning policies side by side in the real
# Xen guest (bench/policy/, see bench/policy/README.md).
#
#   make bench-policy   one QEMU boot of the e2e machine (-m 2560), then one
#                       fresh 512 MB guest (static-max 768 MB, 256 MB zram
#                       swap) per trace, policy and run, one after another,
#                       each trace the same for every policy; prints the
#                       tables and writes them to $(BENCH_POLICY_DIR)/table.md,
#                       the raw samples to $(BENCH_POLICY_DIR)/*.log. Not part
#                       of `make check`. About 3 minutes per guest of the
#                       anonymous trace and 7 of the disk trace (TCG; more on
#                       a busy host).
#
#   BENCH_TRACES=a,b    anon (memory of its own), disk (a service whose hot
#                       data lives in the page cache, over a disk with 1 ms
#                       reads; adds the nopsi row); default both
#   BENCH_RUNS=N        how many times the set of policies runs (default 2)
#   BENCH_POLICIES=a,b  a subset of static,2009,kernel,qubes,pressure (and
#                       cycled and nocache, controls: bench/policy/README.md)
#   BENCH_SAMPLE_MS=N   the guest's sampling period (default 250)
#   BENCH_GUEST_TIMEOUT=S  seconds one guest may take (default 1800)

BENCH_POLICY_DIR := $(BUILD)/bench-policy
BENCH_TRACES     ?= anon,disk
BENCH_RUNS       ?= 2
BENCH_POLICIES   ?= static,2009,kernel,qubes,pressure
BENCH_SAMPLE_MS  ?= 250
BENCH_GUEST_TIMEOUT ?= 1800
# QEMU's -initrd separates modules with commas: dom0 gets the list with "+".
comma            := ,

bench-policy: e2e-initramfs
	sh bench/policy/build.sh $(E2E_DIR) $(BENCH_POLICY_DIR)
	rm -f $(E2E_DIR)/bp-*.log $(E2E_DIR)/bpd-*.log
	BUILD=$(BUILD) E2E_BOOT_TIMEOUT=$${E2E_BOOT_TIMEOUT:-240} E2E_MEM=2560 E2E_DOM0_CPIO=$(BENCH_POLICY_DIR)/bench-dom0.cpio \
		E2E_TIMEOUT=$$(( $(BENCH_RUNS) * ($$(echo $(BENCH_POLICIES) | tr , '\n' | wc -l) + 1) * $$(echo $(BENCH_TRACES) | tr , '\n' | wc -l) * $(BENCH_GUEST_TIMEOUT) + 300 )) \
		E2E_DOM0_ARGS="bp_traces=$(subst $(comma),+,$(BENCH_TRACES)) bp_runs=$(BENCH_RUNS) bp_policies=$(subst $(comma),+,$(BENCH_POLICIES)) bp_period=$(BENCH_SAMPLE_MS) bp_guest_timeout=$(BENCH_GUEST_TIMEOUT)" \
		sh tests/e2e/run.sh bench-policy || echo "bench-policy: the machine did not finish cleanly; the tables show what ran"
	$(PYTHON) bench/policy/analyze.py --e2e $(E2E_DIR) --out $(BENCH_POLICY_DIR) \
		--traces $(BENCH_TRACES) --runs $(BENCH_RUNS) --policies $(BENCH_POLICIES)

.PHONY: bench-policy
