"""Files the engine generates from its data and commits (the workflow,
devmap_base.h): write one, or check that the committed one is current."""
import os
import sys


def write_or_check(top: str, path: str, text: str, check: bool, stale: str, wrote: str) -> int:
    """Write @text to @path (relative to @top), or with @check compare: 1
    and the one line @stale when the committed file differs."""
    full = os.path.join(top, path)
    if check:
        try:
            with open(full) as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            print(f'{path} {stale}', file=sys.stderr)
            return 1
        return 0
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'w') as f:
        f.write(text)
    print(f'wrote {path}: {wrote}')
    return 0
