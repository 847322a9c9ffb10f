# SPDX-License-Identifier: GPL-2.0
#
# vfio-mig: live migration for VFIO devices, built out of tree.
#
#   make [KVER=6.1|6.12]   build the kernel modules against a Debian kernel
#   make KVER=debug-6.1|debug-6.12 modules
#                          ... or against a debug kernel (built if needed;
#                          KVER=debug is debug-6.12)
#   make MDMA_WORKLOAD=y modules
#                          ... with mdma's test-only workload, a debugfs
#                          file that makes an instance busy; the tests and
#                          the demo need it, a production host does not
#   make COVERAGE=y KVER=debug-6.12 modules
#                          ... with gcov profiling, into a tree of their own
#                          (build/kmod/<release>-gcov); make coverage uses it
#   make tools             build the library, vfio-migrate, the kselftests
#                          and the kernel fuzzer
#   make check             static checks, docs, unit tests and guest lanes
#   make coverage          line and branch coverage of the modules reached
#                          by the suite, in build/coverage/
#   make fuzz [FUZZ_TIME=3600]
#                          fuzz the modules in a debug guest for FUZZ_TIME
#                          seconds (and a sixth of that in the race mode)
#   make demo              show the sample device at work in a guest
#   make bench             measure the data paths and QEMU's migrations in
#                          guests: tables, CSV and plots in build/bench/
#   make deps              install the Debian packages everything needs
#   make docs              render Documentation/ with Sphinx
#   make clean

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KVER	?= 6.1
CACHE	?= $(HOME)/.cache/vfio-mig
BUILD	:= $(TOP)/build

# KVER may be a prefix (6.1, 6.12) or a full release (6.1.0-56-amd64).
KREL	:= $(shell $(TOP)/scripts/kernel-release.sh $(KVER))
KDIR	?= /lib/modules/$(KREL)/build
KOUT	:= $(BUILD)/kmod/$(KREL)$(if $(filter y,$(COVERAGE)),-gcov)

export TOP CACHE BUILD

# y builds samples/vfio-mdev/mdma_workload.c into mdma.ko (see its Kbuild).
ifneq ($(filter-out y n,$(MDMA_WORKLOAD)),)
$(error MDMA_WORKLOAD=$(MDMA_WORKLOAD): use MDMA_WORKLOAD=y, or leave it out)
endif
ifneq ($(filter-out y n,$(COVERAGE)),)
$(error COVERAGE=$(COVERAGE): use COVERAGE=y, or leave it out)
endif

.PHONY: all modules tools check coverage fuzz demo bench deps docs clean help

all: modules tools

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' $(TOP)/Makefile

# Kbuild writes objects next to the sources, so each kernel release gets a
# tree of links to them and two kernels never share an object file.
ifneq ($(filter debug debug-6.1 debug-6.12,$(KVER)),)
# A debug kernel of scripts/debug-kernel/: build it first (once, cached),
# then build against its tree under its own release.
DEBUG_BASE := $(if $(filter debug,$(KVER)),6.12,$(KVER:debug-%=%))
modules:
	@kdir=$$($(TOP)/scripts/debug-kernel/build.sh $(DEBUG_BASE)) && \
	rel=$$(cat $$kdir/kernel.release) && \
	$(MAKE) -f $(TOP)/Makefile modules KVER=$$rel KREL=$$rel KDIR=$$kdir \
		MDMA_WORKLOAD=$(MDMA_WORKLOAD) COVERAGE=$(COVERAGE)
else
modules:
	@test -n "$(KREL)" || { echo "no Debian kernel matches KVER=$(KVER); run 'make deps'" >&2; exit 1; }
	@mkdir -p $(BUILD)/kmod
	@# One build per tree at a time: parallel callers wait their turn.
	flock $(KOUT).lock sh -c '$(TOP)/scripts/link-tree.sh $(TOP) $(KOUT) && \
		$(MAKE) -C $(KDIR) M=$(KOUT) VFIO_MIG_TOP=$(TOP) \
			MDMA_WORKLOAD=$(MDMA_WORKLOAD) COVERAGE=$(COVERAGE) modules'
endif

tools:
	$(MAKE) -C $(TOP)/tools O=$(BUILD)/tools

deps:
	$(TOP)/scripts/install-deps.sh

docs:
	$(TOP)/scripts/build-docs.sh

check:
	$(TOP)/scripts/check.sh

coverage:
	$(TOP)/scripts/coverage.sh

FUZZ_TIME ?= 3600
fuzz:
	$(TOP)/scripts/fuzz.sh --time $(FUZZ_TIME)

demo:
	$(TOP)/scripts/demo.sh

bench:
	$(TOP)/scripts/bench.sh

clean:
	rm -rf $(BUILD)
