# SPDX-License-Identifier: GPL-2.0-only
# mk/deb.mk - the Debian package.
#
#   make deb        build $(BUILD)/deb/xenballoond_<version>_<arch>.deb and
#                   xenballoon-balancer_<version>_<arch>.deb (domain 0) with
#                   dpkg-buildpackage (debian/), from a copy of the tree in
#                   $(BUILD)/deb/xenballoond-<version>: the source tree is
#                   left as it was, and no earlier build is reused.
#   make check-deb  build it, lintian it, install, remove and purge it with
#                   apt-get in a fresh Debian 12 root (mmdebstrap), cached
#                   as $(BUILD)/deb/bookworm-apt.tar

DEB_DIR      := $(BUILD)/deb
DEB_ARCH      = $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_FILE      = $(DEB_DIR)/xenballoond_$(VERSION)_$(DEB_ARCH).deb
# dom0's balancer: a binary package of its own (guests need no libxenlight).
DEB_BAL_FILE  = $(DEB_DIR)/xenballoon-balancer_$(VERSION)_$(DEB_ARCH).deb
DEB_SRC      := $(DEB_DIR)/xenballoond-$(VERSION)
DEB_ROOT_TAR := $(DEB_DIR)/bookworm-apt.tar
# What dpkg-buildpackage and debian/control's Build-Depends need, and the
# checks: lintian, and mmdebstrap for the fresh root.
DEB_DEPS     := dpkg-dev debhelper fakeroot lintian mmdebstrap

$(BUILD)/.deps-deb: | $(BUILD)/.deps-build
	sh scripts/deps.sh $(DEB_DEPS)
	@touch $@

deb: | $(BUILD)/.deps-deb
	@if ! head -n1 debian/changelog | grep -q '^xenballoond ($(VERSION))'; then \
		echo "debian/changelog: first entry is not version $(VERSION) (Makefile's VERSION)" >&2; \
		exit 1; fi
	rm -rf $(DEB_SRC) $(DEB_DIR)/xenballoond*_$(VERSION)_* $(DEB_DIR)/xenballoon-balancer*_$(VERSION)_*
	mkdir -p $(DEB_SRC)
	tar -cf - --exclude-vcs --exclude=./build --exclude=./$(BUILD) --exclude='*.o' \
		--exclude=__pycache__ . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	@ls -l $(DEB_FILE) $(DEB_BAL_FILE)

# The test builds its own package, in a build tree of its own, to show
# that `make deb` needs no earlier build and leaves the source tree alone.
check-deb: | $(BUILD)/.deps-deb
	@mkdir -p $(RESULTS) $(DEB_DIR)
	TOP="$(CURDIR)" ROOT_TAR="$(abspath $(DEB_ROOT_TAR))" VERSION="$(VERSION)" \
		DEB_ARCH="$(DEB_ARCH)" \
		sh tests/install/lib/run.sh $(RESULTS)/deb tests/deb/package.sh

CHECK_TARGETS += check-deb

.PHONY: deb check-deb
