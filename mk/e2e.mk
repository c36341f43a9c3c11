# mk/e2e.mk - end to end in a real Xen guest (tests/e2e/, see its README).
#
#   make e2e     boot Xen 4.17 + a Linux dom0 + a PV guest in QEMU (TCG) and
#                run the scenarios; results in $(RESULTS)/e2e, logs and
#                timings in $(BUILD)/e2e/
#   make demo    the same machine, showing `xenballoon-monitor --watch 1`
#                while the guest balloons down, takes a load, balloons up
#
# The Debian packages are fetched once into $(BUILD)/e2e/debs (about 75 MB);
# the initramfs is rebuilt on every run (a few seconds), so it always holds
# the binaries just built.

E2E_DIR      := $(BUILD)/e2e

$(E2E_DIR)/.fetched: tests/e2e/fetch.sh
	@mkdir -p $(E2E_DIR)
	sh tests/e2e/fetch.sh $(E2E_DIR)
	@touch $@

e2e-bins: $(PROGS)

e2e-initramfs: e2e-bins $(E2E_DIR)/.fetched
	sh tests/e2e/build-initramfs.sh $(E2E_DIR) $(BUILD)

check-e2e: e2e-initramfs
	@mkdir -p $(RESULTS)
	BUILD=$(BUILD) sh tests/e2e/run.sh test

e2e: check-e2e

demo: e2e-initramfs
	BUILD=$(BUILD) sh tests/e2e/run.sh demo

CHECK_TARGETS += check-e2e

.PHONY: e2e demo check-e2e e2e-bins e2e-initramfs
