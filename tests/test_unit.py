"""Runs every cmocka unit-test binary (tests/unit/test_*.c) as one pytest test."""
import glob
import os
import subprocess

import pytest

from conftest import BUILD

UNIT_DIR = os.path.join(BUILD, "tests", "unit")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = sorted(os.path.basename(p)[:-2]
                 for p in glob.glob(os.path.join(ROOT, "tests", "unit", "test_*.c")))


@pytest.mark.parametrize("name", SOURCES)
def test_cmocka(name):
    binary = os.path.join(UNIT_DIR, name)
    assert os.path.exists(binary), f"{binary} not built: run `make tests-build`"
    r = subprocess.run([binary], capture_output=True, text=True, timeout=300,
                       cwd=os.path.join(ROOT, "tests", "unit"))
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, f"{name} failed:\n{r.stdout}\n{r.stderr}"
    assert "[  PASSED  ]" in r.stdout + r.stderr
