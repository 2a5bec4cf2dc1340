# devmap-sandbox: ZONE_DEVICE refcount tests in user-mode Linux.
#
#   make kunit   install missing packages, set up the kernel tree, build
#                UML, boot it with FUSE-served device memory, run the suites
#   make test    the project's own tests (what .ci/run runs)
#
# Data flow: make → scripts/ensure-packages.sh (.ci/packages)
#   → scripts/setup-tree.sh (build/linux: linux-source-6.12 + kernel-patches/series)
#   → scripts/devmap_sandbox.py (the engine, scripts/sandbox/): config →
#     build → devmemd + boot → kunit_parser → results, one path for every
#     target below.
# Every knob (KSRC, DEBUG, FILTER, TIMEOUT, ...) is read by the engine from
# the environment or the make command line: `make knobs` lists them.

SHELL := /bin/bash
# Debian's python3, which the package list installs: a python3 found first
# on PATH may be a version manager's shim (pyenv's costs 0.23 s a run, a
# third of the loop's overhead above the bare build). -S: the engine needs
# the standard library only; site-packages cost time.
PYTHON ?= $(or $(wildcard /usr/bin/python3),python3)
ENGINE := $(PYTHON) -S scripts/devmap_sandbox.py
# Every target that runs the engine goes through scripts/devmap-sandbox:
# packages, set-up, devmemd, then the engine; it exits with the engine's
# status (the README's table), which make cannot pass on (make exits 2).
# Scripts call it directly.
ENTRY := PYTHON=$(PYTHON) scripts/devmap-sandbox

.PHONY: kunit kunit-all packages preflight setup host selftests selftests-compare oracle \
	check-series mutants try bench soak coverage model-graph compile-db test test-full test-plan workflow base-header \
	test-compare check knobs clean \
	distclean help
.DEFAULT_GOAL := kunit

## kunit: packages, set-up, build, boot UML and run the devmap suites
kunit:
	@$(ENTRY) kunit

## kunit-all: every KUnit suite of the tree (KUNIT_ALL_TESTS) on the sandbox kernel
kunit-all:
	@$(ENTRY) kunit-all

## packages: install (as root), or name in one line, every missing Debian package
packages:
	@scripts/ensure-packages.sh

# Is /dev/fuse usable? (make kunit checks it itself before building)
preflight: packages
	@$(ENGINE) preflight

## setup: unpack the kernel source (or use KSRC) and apply kernel-patches/series
setup: packages
	scripts/setup-tree.sh

## host: build the host-side devmemd FUSE daemon
host: packages
	$(MAKE) -s -C fake-devmap/host O=$(abspath $(or $(BUILD),build))/host

## selftests: the kernel's mm selftests (gup_test, gup_longterm, hmm-tests) in UML
selftests:
	@$(ENTRY) selftests

## selftests-compare: the mm selftests on stock UML, the sandbox UML and x86_64, side by side
selftests-compare:
	@$(ENTRY) selftests-compare

## oracle: the same suites on x86_64 under QEMU (native ZONE_DEVICE), side by side with UML
oracle:
	@$(ENTRY) oracle

## check-series: per patch of SERIES=dir|mbox or RANGE=a..b: git am, checkpatch, build, suites
check-series:
	@$(ENTRY) check-series

## mutants: each kernel-patches/mutants/*.patch in a scratch clone: every one must be caught
mutants:
	@$(ENTRY) mutants

## bench: where the edit → verdict loop's time goes, against the floor and stock kunit.py
bench:
	@$(ENTRY) bench

## try: the suites with PATCH=file applied in the scratch clone (your tree untouched)
try:
	@$(ENTRY) try

## soak: the model suite over many seeds (SEEDS=n, SEED_START=n)
soak:
	@$(ENTRY) soak

## coverage: the suites on a gcov build: lcov tracefile, HTML report, the device-page paths' table (BUILD/coverage/)
coverage:
	@$(ENTRY) coverage

## compile-db: compile_commands.json for editors (the loop does not make it)
compile-db:
	@$(ENTRY) compile-db

## test: the project's own tests, the plan's ci tier (TIER=full SHARD=i/N: one shard of a tier)
test: packages
	scripts/test.sh

## test-full: every step of the test plan (kunit-all, selftests, oracle, comparisons, soak)
test-full: packages
	TIER=full scripts/test.sh

## test-plan: the test plan, a line a step: tier, group, name, seconds, command
test-plan:
	@$(ENGINE) test-plan

## workflow: .github/workflows/full.yml from the test plan (the full tier, a job per shard)
workflow:
	@$(ENGINE) workflow

## base-header: fake-devmap/kernel/devmap_base.h, the per-base expectations for C, from scripts/sandbox/bases.py
base-header:
	@$(ENGINE) base-header

## test-compare: make selftests-compare, then its port mutant must be reported and check-series SELFTESTS=1 pass (tests/compare/)
test-compare: packages
	$(MAKE) selftests-compare
	bats --timing tests/compare

## check: checkpatch --strict on kernel code and patches, shellcheck on scripts
check: setup
	scripts/check-style.sh
	@$(ENGINE) workflow --check
	@$(ENGINE) base-header --check

## knobs: every variable the targets read, with its default
knobs:
	@$(ENGINE) knobs

## model-graph: regenerate devmap_model's picture and MODEL.md tables from its rule table
model-graph:
	kunit-suites/gen-model-graph.sh

## clean: remove build output but keep the kernel tree
clean:
	rm -rf $$($(ENGINE) clean-paths)

## distclean: remove build/ entirely, kernel tree included (asks first)
distclean:
	@read -r -p "remove $(or $(BUILD),build) including the kernel tree in it? [y/N] " a; \
	[ "$$a" = y ] && rm -rf $(or $(BUILD),build)

help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  make /'
