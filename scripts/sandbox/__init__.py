"""The devmap sandbox's engine: config → build → boot → parse, with one
exception per failure kind, in the style of tools/testing/kunit/.

  settings   every knob, default and path, once (Settings.from_env())
  bases      what depends on the base kernel version, as data
  errors     one exception per failure kind, each with its exit status
  packages   the Debian packages the project needs; install or name them
  progress   one updating line on a terminal, plain lines in logs
  tree       the user's tree (read only) and throwaway scratch clones
  devmem     the FUSE device memory daemon's lifecycle (scripts/lib/devmem.sh)
  console    the kernel's console: oopses, KASAN reports, the running test
  kernel     config, build and boot of one kernel (UML or QEMU), parsed
             with the tree's kunit_parser
  results    leaf test results from kunit.py's Test objects or JSON
  reports    markdown, JSON and JUnit XML from the same rows
  mutants, oracle, selftests, bench, check_series: clients of the above
  cli        the thin command line: outcome → exit status
"""
