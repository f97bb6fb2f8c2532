# SPDX-License-Identifier: GPL-3.0-or-later
"""The heavy pose model is used only as fetched at setup and checked: a damaged or missing file is
refused with the command that fetches it, and nothing is downloaded at run time."""
from __future__ import annotations

import pytest

from local_server.mocap.models import ModelMissing, heavy_model, make_pose


def test_a_damaged_heavy_model_is_refused(tmp_path):
    target = tmp_path / "models" / "pose_landmark_heavy.tflite"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the model")
    with pytest.raises(ModelMissing, match="local_server.mocap.models"):
        heavy_model(tmp_path)


def test_a_missing_heavy_model_is_refused_without_fetching(tmp_path):
    with pytest.raises(ModelMissing, match="missing or damaged"):
        heavy_model(tmp_path)
    assert not (tmp_path / "npm").exists()


def test_an_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown pose model"):
        make_pose("lite")
