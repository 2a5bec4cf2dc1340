"""Reports from rows: markdown (for people), JSON (for scripts) and JUnit
XML (for CI systems that show test reports), all from the same data.

A table is a list of column names and a list of rows (dicts keyed by the
column names); a JUnit report is a list of results.Leaf.
"""
import json
import os
import xml.etree.ElementTree as ET
from typing import Dict, Iterable, List, Optional


def _cell(v) -> str:
    s = '' if v is None else str(v)
    return s.replace('|', '\\|').replace('\n', ' ')


def markdown(columns: List[str], rows: Iterable[Dict], title: Optional[str] = None,
             notes: Iterable[str] = ()) -> str:
    out = []
    if title:
        out += [f'# {title}', '']
    out.append('| ' + ' | '.join(columns) + ' |')
    out.append('|' + '---|' * len(columns))
    for r in rows:
        out.append('| ' + ' | '.join(_cell(r.get(c)) for c in columns) + ' |')
    notes = list(notes)
    if notes:
        out += [''] + notes
    return '\n'.join(out) + '\n'


def junit(leaves, suite_name: str) -> str:
    leaves = list(leaves)
    root = ET.Element('testsuites')
    suites: Dict[str, ET.Element] = {}
    for leaf in leaves:
        suite, _, case = leaf.name.partition('.')
        el = suites.get(suite)
        if el is None:
            el = suites[suite] = ET.SubElement(root, 'testsuite', name=f'{suite_name}.{suite}')
        tc = ET.SubElement(el, 'testcase', classname=f'{suite_name}.{suite}', name=case or suite)
        if leaf.status == 'SKIP':
            ET.SubElement(tc, 'skipped', message=leaf.reason)
        elif leaf.status != 'PASS':
            kind = 'error' if leaf.status == 'ERROR' else 'failure'
            f = ET.SubElement(tc, kind, message=leaf.reason or leaf.status)
            f.text = '\n'.join(leaf.log)
    for el in suites.values():
        cases = el.findall('testcase')
        el.set('tests', str(len(cases)))
        el.set('failures', str(sum(1 for c in cases if c.find('failure') is not None)))
        el.set('errors', str(sum(1 for c in cases if c.find('error') is not None)))
        el.set('skipped', str(sum(1 for c in cases if c.find('skipped') is not None)))
    return ET.tostring(root, encoding='unicode') + '\n'


def write(path: str, text: str) -> str:
    """Write atomically (a reader never sees half a report)."""
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def write_json(path: str, data) -> str:
    return write(path, json.dumps(data, indent=2, sort_keys=True) + '\n')


def junit_verdicts(suite_name: str, verdicts) -> str:
    """JUnit from (name, ok, message) verdicts: a mutant killed, a test
    with the same result on both kernels, a patch that is fine."""
    from .results import Leaf
    return junit([Leaf(f'{suite_name}.{name}', 'PASS' if ok else 'FAIL', msg)
                  for name, ok, msg in verdicts], suite_name)
