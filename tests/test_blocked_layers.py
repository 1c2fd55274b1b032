"""Layers of the blocked area (issue 15): the analysis is pure, the table
readers know nothing of analyses, and no command body is a library.

- analysis/blocked.c and waitgraph.c include only event.h, table types
  (tables/*.h without functions that read the kernel) and util/;
- tables/waitfacts.h, waiters, undo, waitscan include nothing from
  analysis/, view/ or record/;
- no global symbol defined in cmd_blocked.o is used by another object but
  main.o, and no object uses a symbol of another command's object through
  the blocked area (export, report, summary, top, metrics).
"""
import glob
import os
import re
import subprocess

import pytest

from conftest import BUILD, ROOT

USER = os.path.join(ROOT, "user")
OBJ = os.path.join(BUILD, "obj", "user")
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)


def includes(path):
    with open(os.path.join(USER, path)) as f:
        return INCLUDE.findall(f.read())


@pytest.mark.parametrize("src", ["analysis/blocked.c", "analysis/blocked.h",
                                 "analysis/waitgraph.c", "analysis/waitgraph.h"])
def test_analysis_is_pure(src):
    allowed = {"event.h", "events.h", "tables/waitfacts.h", "analysis/blocked.h",
               "analysis/waitgraph.h"}
    for inc in includes(src):
        assert inc in allowed or inc.startswith("util/"), f"{src} includes {inc}"


@pytest.mark.parametrize("src", ["tables/waitfacts.h", "tables/waitfacts.c",
                                 "tables/waiters.h", "tables/waiters.c", "tables/undo.h",
                                 "tables/undo.c", "tables/waitscan.h", "tables/waitscan.c"])
def test_tables_point_one_way(src):
    for inc in includes(src):
        assert not inc.startswith(("analysis/", "view/", "record/")), f"{src} includes {inc}"


def symbols(obj, flag):
    r = subprocess.run(["nm", flag, obj], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in r.stdout.splitlines() if line.strip()}


def test_no_command_body_is_a_library():
    objs = glob.glob(os.path.join(OBJ, "**", "*.o"), recursive=True)
    if not objs:
        pytest.skip(f"no objects under {OBJ}: run `make`")
    cmd = os.path.join(OBJ, "cmd_blocked.o")
    defined = symbols(cmd, "--defined-only") & symbols(cmd, "-g")
    users = {}
    for o in objs:
        if o == cmd or os.path.basename(o) == "main.o":
            continue
        for s in symbols(o, "-u") & defined:
            users.setdefault(s, []).append(os.path.relpath(o, OBJ))
    assert not users, f"cmd_blocked.o symbols used elsewhere: {users}"
    # the blocked area's users reach no command's symbols
    cmd_defs = {}
    for c in glob.glob(os.path.join(OBJ, "cmd_*.o")):
        for s in symbols(c, "--defined-only") & symbols(c, "-g"):
            cmd_defs[s] = os.path.basename(c)
    for name in ("cmd_export.o", "analysis/summary.o", "cmd_top.o", "cmd_metrics.o"):
        used = {s: cmd_defs[s] for s in symbols(os.path.join(OBJ, name), "-u")
                if s in cmd_defs and cmd_defs[s] != os.path.basename(name)}
        assert not used, f"{name} uses command symbols {used}"
