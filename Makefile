# devmap-sandbox: ZONE_DEVICE refcount tests in user-mode Linux.
#
#   make kunit   set up the kernel tree if missing, build UML, boot it
#                with FUSE-served device memory, run every suite
#   make test    the project's own tests (what .ci/run runs)
#
# Data flow: make → scripts/setup-tree.sh (build/linux: Debian's
# linux-source-6.12 + kernel-patches/series) → scripts/run-kunit.sh
# (devmemd + kunit.py run, O=build/kunit-uml) → KTAP → kunit.py's summary.
#
# Variables: KSRC=/path/to/your/linux (your own git tree), DEBUG=1
# (DEBUG_VM, lockdep, kmemleak), DEVMEM=fuse|file|hotplug, PERSIST=file,
# FILTER='suite.test*', TIMEOUT=seconds; make oracle/bench: ACCEL=kvm|tcg,
# RUNS, COLD_RUNS, ARCHS; make check-series: SELFTESTS=1. See README.md.

SHELL := /bin/bash
# Everything built goes under BUILD (default: build/ in this repo).
BUILD ?= $(CURDIR)/build
export BUILD KSRC DEBUG DEVMEM DEVMEM_SIZE PERSIST FILTER TIMEOUT JSON KUNIT_ARGS
export ACCEL RUNS COLD_RUNS ARCHS
export SERIES RANGE BASE QUICK KEEP_GOING SELFTESTS

.PHONY: kunit preflight kunit-all setup host selftests oracle check-series mutants bench test check model-graph clean distclean help
.DEFAULT_GOAL := kunit

## kunit: set up if needed, build, boot UML and run all suites
kunit: preflight setup host
	scripts/run-kunit.sh

# Before anything is unpacked or built: is /dev/fuse usable?
preflight:
	@scripts/run-kunit.sh --preflight

## kunit-all: every KUnit suite of the tree (KUNIT_ALL_TESTS) on the sandbox kernel
kunit-all: preflight setup host
	KBUILD=$(BUILD)/kunit-all \
	KUNIT_ARGS="--kunitconfig=$(or $(KSRC),$(BUILD)/linux)/tools/testing/kunit/configs/default.config" \
	scripts/run-kunit.sh

## setup: unpack the kernel source (or use KSRC) and apply kernel-patches/series
setup:
	scripts/setup-tree.sh

## host: build the host-side devmemd FUSE daemon
host:
	$(MAKE) -s -C fake-devmap/host O=$(BUILD)/host

## selftests: the kernel's mm selftests (gup_test, gup_longterm, hmm-tests) in UML
selftests: preflight setup host
	scripts/run-selftests.sh

## oracle: the same suites on x86_64 under QEMU (native ZONE_DEVICE), side by side with UML
oracle: preflight setup host
	scripts/run-oracle.sh

## check-series: per patch of SERIES=dir|mbox or RANGE=a..b: git am, checkpatch, build, suites
check-series: setup host
	scripts/check-series.sh

## mutants: apply each kernel-patches/mutants/*.patch, rerun, report kills
mutants: setup host
	scripts/run-mutants.sh

## bench: cold build, warm edit→result loop and suites' run time, UML vs x86_64 QEMU
bench: setup host
	scripts/bench.sh

## test: the project's own tests (host tests, all suites, mutants)
test:
	scripts/test.sh

## check: checkpatch --strict on kernel code and patches, shellcheck on scripts
check: setup
	scripts/check-style.sh

## model-graph: regenerate devmap_model's picture and MODEL.md tables from its rule table
model-graph:
	kunit-suites/gen-model-graph.sh

## clean: remove build output but keep the kernel tree
clean:
	rm -rf $(BUILD)/kunit-uml $(BUILD)/kunit-uml-debug $(BUILD)/kunit-all \
		$(BUILD)/host \
		$(BUILD)/run.* $(BUILD)/results $(BUILD)/selftests-uml \
		$(BUILD)/selftests $(BUILD)/selftests-x86-headers \
		$(BUILD)/check-series $(BUILD)/check-series-uml \
		$(BUILD)/kunit-x86_64 $(BUILD)/bench-cold \
		$(BUILD)/check-series-selftests $(BUILD)/check-series-selftests-uml

## distclean: remove build/ entirely, kernel tree included (asks first)
distclean:
	@read -r -p "remove $(BUILD) including the kernel tree in it? [y/N] " a; \
	[ "$$a" = y ] && rm -rf $(BUILD)

help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  make /'
