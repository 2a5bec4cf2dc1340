#!/usr/bin/env python3
"""Run the engine's unit tests (tests/unit/test_*.py, seconds, no kernel
build) and print 'unit: N passed, N failed, N skipped' for scripts/test.sh."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
suite = unittest.defaultTestLoader.discover(here, top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
print(f'unit: {result.testsRun - bad - skipped} passed, {bad} failed, {skipped} skipped')
sys.exit(1 if bad or not result.testsRun else 0)
