"""An installed copy finds its bundled data wherever pip put it (--prefix here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_prefix_install_finds_panel_profiles_models_and_examples(tmp_path):
    prefix = tmp_path / "prefix"
    # No build isolation: setuptools and wheel come from the test extra, so this needs no download.
    # --ignore-installed: without it pip first uninstalls the copy the test suite itself runs from
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--ignore-installed", "--prefix", str(prefix), str(ROOT)], check=True, cwd=tmp_path,
                   capture_output=True)
    site_packages = next(prefix.glob("lib/python*/site-packages"))
    env = {**os.environ, "PYTHONPATH": str(site_packages)}
    where = subprocess.run([sys.executable, "-m", "screenkit", "targets", "--where"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
    for line in where.splitlines():
        assert str(prefix / "share" / "screenkit") in line and "missing" not in line, line
    # the installed package, not this checkout, answered; and it can rank with its own profile and panel
    listed = subprocess.run([sys.executable, "-m", "screenkit", "targets", "--default-only"], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert f"models from {prefix / 'share' / 'screenkit' / 'models'}" in listed.stdout
