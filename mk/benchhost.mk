# mk/benchhost.mk - a host of guests under each memory policy, in the real
# Xen host (bench/host/, see bench/host/README.md).
#
#   make bench-host     one QEMU boot of the e2e machine (-m 2560, dom0
#                       1024 MB: about 1.5 GB for guests), then per row and
#                       run three fresh guests at once (470 MB each at boot,
#                       static-max 768 MB) whose demands, offset in time,
#                       overlap and together reach what the host has; rows
#                       static partition, uncoordinated selfballooning, a
#                       Qubes-like controller in dom0, xenballoon-balancer.
#                       Prints the table and writes it to
#                       $(BENCH_HOST_DIR)/table.md, the raw logs beside it.
#                       Not part of `make check`. About 5 minutes a row.
#
#   BENCH_HOST_RUNS=N    how many times the rows run (default 2)
#   BENCH_HOST_ROWS=a,b  a subset of static,self,qubes,balancer

BENCH_HOST_DIR   := $(BUILD)/bench-host
BENCH_HOST_RUNS  ?= 2
BENCH_HOST_ROWS  ?= static,self,qubes,balancer

bench-host: e2e-initramfs
	sh bench/policy/build.sh $(E2E_DIR) $(BENCH_POLICY_DIR)
	sh bench/host/build.sh $(BENCH_POLICY_DIR) $(BENCH_HOST_DIR)
	rm -f $(E2E_DIR)/bh-*.log $(E2E_DIR)/bhhost-*.log
	BUILD=$(BUILD) E2E_BOOT_TIMEOUT=$${E2E_BOOT_TIMEOUT:-240} E2E_MEM=2560 E2E_DOM0_CPIO=$(BENCH_HOST_DIR)/bench-host-dom0.cpio \
		E2E_TIMEOUT=$$(( $(BENCH_HOST_RUNS) * $$(echo $(BENCH_HOST_ROWS) | tr , '\n' | wc -l) * 900 + 300 )) \
		E2E_DOM0_ARGS="bh_runs=$(BENCH_HOST_RUNS) bh_rows=$(subst $(comma),+,$(BENCH_HOST_ROWS))" \
		sh tests/e2e/run.sh bench-host || echo "bench-host: the machine did not finish cleanly; the table shows what ran"
	$(PYTHON) bench/host/analyze.py --e2e $(E2E_DIR) --out $(BENCH_HOST_DIR) \
		--runs $(BENCH_HOST_RUNS) --rows $(BENCH_HOST_ROWS)

.PHONY: bench-host
