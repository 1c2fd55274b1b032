"""The layers point one way (docs/hacking.md): scripts/check-layers.sh checks
the includes of analysis/ and tables/ and that no command's symbol is used by
another file (nm on the built objects)."""
import os
import subprocess

from conftest import BUILD, ROOT


def test_layers_point_one_way():
    r = subprocess.run([os.path.join(ROOT, "scripts", "check-layers.sh"), BUILD],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("check-layers: ok")
