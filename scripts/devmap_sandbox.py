#!/usr/bin/env python3
"""The devmap sandbox's engine, for make: see scripts/sandbox/cli.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sandbox.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
