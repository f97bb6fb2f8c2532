# SPDX-License-Identifier: GPL-3.0-or-later
"""Build dist/move_ai-<version>.zip with Blender's own extension builder, then validate the zip.

Usage: python tools/build_addon.py [--output-dir dist] [--python PYTHON]
The builder ships inside the bpy wheel (bl_pkg/cli/blender_ext.py); no Blender binary is needed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def find_blender_ext(python: str) -> Path:
    """blender_ext.py inside the bpy wheel of the given interpreter (4.2 and 5.0 layouts alike)."""
    out = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('bpy').origin)"],
                         check=True, capture_output=True, text=True).stdout.strip()
    bpy_dir = Path(out).parent
    found = sorted(bpy_dir.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise SystemExit(f"blender_ext.py not found under {bpy_dir}: is the bpy wheel installed?")
    return found[-1]


def build(output_dir: Path, python: str = sys.executable) -> Path:
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text(encoding="utf-8"))
    output_dir.mkdir(parents=True, exist_ok=True)  # the builder refuses a missing folder
    zip_path = output_dir / f"{manifest['id']}-{manifest['version']}.zip"
    tool = find_blender_ext(python)
    # The builder reads the python it runs under only for the stdlib; bpy need not be importable.
    subprocess.run([python, str(tool), "build", "--source-dir", str(ROOT), "--output-filepath",
                    str(zip_path)], check=True)
    subprocess.run([python, str(tool), "validate", str(zip_path)], check=True)
    return zip_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "dist")
    parser.add_argument("--python", default=sys.executable, help="interpreter whose bpy wheel has the builder")
    args = parser.parse_args()
    print(build(args.output_dir, args.python))


if __name__ == "__main__":
    main()
