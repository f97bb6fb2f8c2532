# SPDX-License-Identifier: GPL-3.0-or-later
"""Type-check the add-on's bpy code (__init__.py, operators/, ui/) with mypy against fake-bpy-module.

The repository root is the add-on package, so it is checked as `move_ai` through a temporary folder
of symlinks. Run it with an interpreter that has mypy and fake-bpy-module-<version> (not the real bpy:
both install a `bpy` package), e.g.:
    make typecheck      (venvs .venv-typecheck-4.2 and -5.0 from requirements/typecheck-*.txt)
Run against fake-bpy-module-4-2 and -5-0 (the oldest and newest supported Blender), an API either lacks is an error.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("__init__.py", "operators", "ui", "lib", "core")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "move_ai"
        package.mkdir()
        for part in PARTS:
            (package / part).symlink_to(ROOT / part)
        args = [sys.executable, "-m", "mypy", "--python-version", "3.11", "--ignore-missing-imports",
                "--check-untyped-defs",
                # bpy properties are declared as annotations that are calls; the stubs type some
                # context managers and property factories as returning None
                "--disable-error-code", "valid-type", "--disable-error-code", "func-returns-value", "--no-error-summary", "--follow-imports=silent",
                "--cache-dir", str(Path(tmp) / ".mypy_cache"),
                str(package / "__init__.py"), str(package / "operators"), str(package / "ui"), str(package / "core")]
        result = subprocess.run(args, cwd=tmp, text=True, capture_output=True)
        out = (result.stdout + result.stderr).replace(str(package) + "/", "")
        print(out, end="")
        print("mypy: ok" if result.returncode == 0 else "mypy: errors above")
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
