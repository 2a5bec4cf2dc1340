#!/usr/bin/env python3
"""The devmap sandbox's engine, for make: see scripts/sandbox/cli.py."""
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Bytecode, ours and that of the tree's kunit.py modules, is cached in the
# build directory: never written into KSRC (the user's tree), and written
# even under PYTHONDONTWRITEBYTECODE, since compiling them again costs
# every run 0.3 s.
sys.pycache_prefix = os.path.join(TOP, os.environ.get('BUILD') or 'build', 'pycache')
sys.dont_write_bytecode = False
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
