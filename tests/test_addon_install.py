# SPDX-License-Identifier: GPL-3.0-or-later
"""The extension builds with Blender's own tool, installs as Blender installs it, and registers,
unregisters and registers again leaving no classes, handlers, timers or threads behind."""
from __future__ import annotations

import subprocess
import sys
import threading
import tomllib
import zipfile

import pytest

from addon_fixtures import MODULE, ROOT, add_movie, addon, addon_zip, installed_addon, build_addon, local_prefs, prefs, scene  # noqa: F401

import addon_utils  # noqa: E402  (importable once bpy is)
import bpy  # noqa: E402


def test_zip_holds_the_addon_and_no_dev_files(addon_zip):
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert addon_zip.name == f"move_ai-{manifest['version']}.zip"
    names = zipfile.ZipFile(addon_zip).namelist()
    for needed in ("blender_manifest.toml", "__init__.py", "operators/flow.py", "core/sessions.py", "ui/panels.py",
                   "lib/client.py", "lib/capture_pipeline.py", "lib/documents/GetJob.graphql"):
        assert needed in names
    for name in names:
        top = name.split("/")[0]
        assert top not in ("tests", "local_server", "benchmarks", "demo", "docs", "tools", "requirements",
                           ".venv", "dist", ".ci", "Makefile"), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name


def test_manifest_is_what_blender_expects():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert manifest["id"] == "move_ai" and manifest["schema_version"] == "1.0.0"
    assert manifest["blender_version_min"] == "4.2.0"
    assert set(manifest["permissions"]) == {"network", "files"}
    init = (ROOT / "__init__.py").read_text()
    assert "bl_info =" not in init and "bl_info=" not in init
    for path in [ROOT / "__init__.py", *ROOT.glob("core/*.py"), *ROOT.glob("operators/*.py"),
                 *ROOT.glob("ui/*.py")]:
        text = path.read_text()
        for pip in ("import pip", "ensurepip", "pip install", '"pip"'):  # no installs at run time
            assert pip not in text, f"{path.name}: {pip}"
        for line in text.splitlines():  # the add-on imports itself relatively only
            assert not line.startswith(("from lib", "import lib", "from operators", "from ui", "from core")), line


def test_validator_rejects_a_broken_manifest(tmp_path):
    """The build step really validates: a manifest with a bad id fails."""
    bad = tmp_path / "src"
    bad.mkdir()
    (bad / "__init__.py").write_text("def register(): pass\ndef unregister(): pass\n")
    text = (ROOT / "blender_manifest.toml").read_text().replace('id = "move_ai"', 'id = "move ai!"')
    (bad / "blender_manifest.toml").write_text(text)
    tool = build_addon.find_blender_ext(sys.executable)
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run([sys.executable, str(tool), "build", "--source-dir", str(bad), "--output-dir",
                          str(out)], capture_output=True, text=True)
    assert run.returncode != 0 and "id" in (run.stdout + run.stderr)


def test_installed_as_blender_installs_it(addon):
    assert addon.__name__ == MODULE
    assert MODULE in bpy.context.preferences.addons
    for op in ("capture", "upload_strip", "create_take", "create_job", "poll_job", "import_output",
               "cancel_poll", "test_connection"):
        assert hasattr(bpy.ops.moveai, op), op
    p = prefs()
    assert p.endpoint == "https://api.move.ai/ugc/graphql"
    assert p.bl_rna.properties["api_key"].subtype == "PASSWORD"
    assert hasattr(bpy.types.Scene, "move_ai")


def _leftovers(session_module, timer_function) -> dict:
    return {
        "classes": sorted(n for n in dir(bpy.types) if n.startswith("MOVEAI_")),
        "handlers": [f.__name__ for h in (bpy.app.handlers.load_post, bpy.app.handlers.load_pre)
                     for f in h if getattr(f, "__module__", "").startswith(MODULE)],
        "timer": bpy.app.timers.is_registered(timer_function),
        "threads": [t.name for t in threading.enumerate() if t.name.startswith("move-ai-") and t.is_alive()],
        "scene_prop": hasattr(bpy.types.Scene, "move_ai") or hasattr(bpy.types.Scene, "move_ai_retarget"),
        "multicam_props": [n for n, there in (
            ("Scene.move_ai_multicam", hasattr(bpy.types.Scene, "move_ai_multicam")),
            ("Strip.move_ai", hasattr(getattr(bpy.types, "Strip", None) or bpy.types.Sequence, "move_ai")))
            if there],
        "sessions": len(session_module.SESSIONS),
    }


def test_unregister_register_leaves_nothing_behind(addon, scene, local_prefs, sample_video):
    """A capture runs in the background (as a resumed job does) when the add-on is disabled: its
    worker stops, and classes, handlers, the timer and the scene property all go; twice over."""
    server = (local_prefs.endpoint, local_prefs.api_key, local_prefs.download_dir)
    registered = sorted(n for n in dir(bpy.types) if n.startswith("MOVEAI_"))  # every class, whoever adds one
    assert len(registered) >= 13
    for _ in range(2):
        p = prefs()  # enabling again makes new preferences with their defaults
        p.endpoint, p.api_key, p.download_dir = server
        session = sys.modules[MODULE + ".core.sessions"]
        new_records = sys.modules[MODULE + ".core.new_records"]
        pipeline = sys.modules[MODULE + ".lib.capture_pipeline"]
        add_movie(bpy.context.scene, sample_video)
        record = new_records.record_from_active_strip(bpy.context)
        client = sys.modules[MODULE + ".core.settings"].make_client(bpy.context)
        running = session.CaptureSession(bpy.context.scene.name, record.uid, pipeline.CAPTURE_STEPS,
                                         session.record_values(bpy.context, record, client)).start()
        session.ensure_background_timer()
        timer = session._drive_background
        assert running.worker.alive and bpy.app.timers.is_registered(timer)

        addon_utils.disable(MODULE, default_set=True)
        assert not running.worker.alive
        assert _leftovers(session, timer) == {"classes": [], "handlers": [], "timer": False, "threads": [],
                                              "scene_prop": False, "multicam_props": [], "sessions": 0}

        addon_utils.enable(MODULE, default_set=True)
        session = sys.modules[MODULE + ".core.sessions"]
        now = _leftovers(session, session._drive_background)
        assert now["classes"] == registered and now["scene_prop"] and len(now["multicam_props"]) == 2, now
        assert sorted(now["handlers"]) == ["on_load_post", "on_load_pre"] and not now["threads"], now
        bpy.ops.wm.read_homefile(use_empty=True)
