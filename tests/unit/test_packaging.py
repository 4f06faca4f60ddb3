"""What `pip install .` installs (deploy/Dockerfile, a gateway host's venv) holds every file the code reads.

An editable install reads the source tree, so a file the wheel leaves out (the store's migrations were)
shows only on an installed host: the gateway opens a store with no tables and fails at its first query.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gateway", "channels", "flows")
# build_py is the step of building a wheel that gathers the packages and their data: the wheel holds what it
# leaves in --build-lib (building the wheel itself needs the `wheel` package, which a venv may lack).
BUILD = "from setuptools import setup; setup()"


def data_files() -> set[str]:
    """Every file in the packages that is not Python source: what the code opens at run time."""
    return {path.relative_to(ROOT).as_posix() for package in PACKAGES for path in (ROOT / package).rglob("*")
            if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts}


def test_the_wheel_holds_every_data_file_of_the_packages(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    lib = tmp_path / "lib"
    built = subprocess.run([sys.executable, "-c", BUILD, "build_py", "--build-lib", str(lib)], cwd=source,
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]
    installed = {path.relative_to(lib).as_posix() for path in lib.rglob("*") if path.is_file()}

    expected = data_files()
    assert any(name.startswith("gateway/store/migrations/") for name in expected)  # the files this guards exist
    assert sorted(expected - installed) == []
