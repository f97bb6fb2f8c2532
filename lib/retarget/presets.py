# SPDX-License-Identifier: GPL-3.0-or-later
"""Bone-mapping presets: each names, per body role ("upper_arm.L"), the bone of one kind of rig.

A preset is JSON: {"name", "description", "bones": {role: bone}, "properties": {data path: value}}.
Keys and names may hold {S} (L/R), {s} (l/r) or {Side} (Left/Right) and stand for both sides.
`properties` are constant keys written into the new action (Rigify's IK/FK switches set to FK).
The mapping from one rig to another goes through the roles both presets name.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

BUILTIN_DIR = Path(__file__).with_name("presets")
SIDES = ({"S": "L", "s": "l", "Side": "Left"}, {"S": "R", "s": "r", "Side": "Right"})

#: Roles whose rest directions are not aligned: their bone's direction is a rig convention
#: (Rigify's torso points forward, Move's hips up), so their rotation moves by the source's change.
UNALIGNED_ROLES = frozenset({"root", "hips"})
#: Body roles every humanoid preset is expected to fill; fingers are mapped when both rigs have them.
BODY_ROLES = ("hips", "spine", "chest", "upper_chest", "neck", "head") + tuple(
    f"{part}.{side}" for side in "LR"
    for part in ("shoulder", "upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe"))
#: Roles a usable mapping cannot do without.
REQUIRED_ROLES = ("hips",) + tuple(f"{part}.{side}" for side in "LR"
                                   for part in ("upper_arm", "forearm", "thigh", "shin"))


class MappingProblem(Exception):
    """A mapping cannot be used; str() is for the user and names the bones at fault."""


@dataclass
class Preset:
    name: str
    bones: dict[str, str]  # role -> bone, sides expanded
    description: str = ""
    properties: dict[str, float] = field(default_factory=dict)
    builtin: bool = True
    path: str = ""

    def to_json(self) -> dict:
        return {"name": self.name, "description": self.description, "bones": dict(self.bones),
                "properties": dict(self.properties)}


def _expand(mapping: dict) -> dict:
    out = {}
    for key, value in mapping.items():
        if "{" in key or (isinstance(value, str) and "{" in value):
            for side in SIDES:
                out[key.format(**side)] = value.format(**side) if isinstance(value, str) else value
        else:
            out[key] = value
    return out


def preset_from_json(data: dict, builtin: bool = False, path: str = "") -> Preset:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("bones"), dict):
        raise MappingProblem("A preset is a JSON object with a \"name\" and a \"bones\" object (role: bone name).")
    bones = {str(k): str(v) for k, v in _expand(data["bones"]).items() if v}
    props = {str(k): float(v) for k, v in _expand(data.get("properties", {})).items()}
    return Preset(data["name"], bones, str(data.get("description", "")), props, builtin, path)


def load_dir(folder: Path | str, builtin: bool) -> list[Preset]:
    """Every readable preset in a folder, by name; unreadable files are skipped (they are the
    user's: a broken one must not hide the others)."""
    presets = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            presets.append(preset_from_json(json.loads(path.read_text("utf-8")), builtin, str(path)))
        except (OSError, ValueError, MappingProblem):
            continue
    return presets


@functools.lru_cache(maxsize=1)
def _builtin_cached() -> tuple[Preset, ...]:
    order = ["Move", "Mixamo", "Rigify", "Rigify DEF", "Rigify Metarig", "UE5 Mannequin", "VRM", "Auto-Rig Pro"]
    found = load_dir(BUILTIN_DIR, builtin=True)
    return tuple(sorted(found, key=lambda p: order.index(p.name) if p.name in order else len(order)))


def builtin_presets() -> list[Preset]:
    """The presets shipped in presets/ (read once: they do not change while Blender runs)."""
    return list(_builtin_cached())


def all_presets(user_dir: Path | str | None) -> list[Preset]:
    """Built-in presets, then the user's (a user preset with a built-in's name comes after it)."""
    return builtin_presets() + (load_dir(user_dir, builtin=False) if user_dir and Path(user_dir).is_dir() else [])


def find_preset(name: str, presets: list[Preset]) -> Preset | None:
    """By name, case-insensitively; the user's preset wins over a built-in of the same name."""
    hits = [p for p in presets if p.name.lower() == name.strip().lower()]
    return hits[-1] if hits else None


def save_user_preset(folder: Path | str, preset: Preset) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", preset.name).strip("._") or "preset"
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(preset.to_json(), indent=1) + "\n", "utf-8")
    return path


def _stripped(name: str) -> str:
    """A bone name without its namespace ("mixamorig1:Hips", "_2:Hips" -> "hips")."""
    return name.rsplit(":", 1)[-1].lower()


def resolve(preset: Preset, bone_names) -> dict[str, str]:
    """role -> bone of this armature: the preset's name exactly, else the same name in another
    namespace (Mixamo's mixamorig1:, Move's _2:); roles whose bone is absent are left out."""
    names = list(bone_names)
    exact = set(names)
    by_stripped: dict[str, str] = {}
    for n in names:
        by_stripped.setdefault(_stripped(n), n)
    out = {}
    for role, bone in preset.bones.items():
        if role.startswith(CUSTOM) and bone in exact:
            out[role] = bone
        elif bone in exact:
            out[role] = bone
        elif ":" in bone and _stripped(bone) in by_stripped:
            out[role] = by_stripped[_stripped(bone)]
    return out


def _score(preset: Preset, bone_names) -> tuple[int, int]:
    exact = set(bone_names)
    resolved = resolve(preset, bone_names)
    return (sum(1 for r in REQUIRED_ROLES if r in resolved),
            2 * sum(1 for b in preset.bones.values() if b in exact) + len(resolved))


def detect(bone_names, presets: list[Preset]) -> Preset | None:
    """The preset that names most of this armature's bones (required roles first); None when no
    preset finds even the hips and the limbs."""
    names = list(bone_names)
    best = max(presets, key=lambda p: _score(p, names), default=None)
    if best is None or _score(best, names)[0] < len(REQUIRED_ROLES):
        return None
    return best


@dataclass(frozen=True)
class Pair:
    role: str  # "" for a pair a user added by hand with no role
    source: str
    target: str


CUSTOM = "custom:"  # a user preset's role for a pair added by hand: "custom:<source bone>"


def pairs_between(source: dict[str, str], target: dict[str, str], source_bones=()) -> list[Pair]:
    """Source and target bones of the roles both rigs have, in the order of the target's roles;
    a hand-made pair of a user preset is kept when the source has its bone."""
    bones = set(source_bones)
    pairs = []
    for role, bone in target.items():
        if role in source:
            pairs.append(Pair(role, source[role], bone))
        elif role.startswith(CUSTOM) and role[len(CUSTOM):] in bones:
            pairs.append(Pair("", role[len(CUSTOM):], bone))
    return pairs


def check_pairs(pairs: list[Pair], source_bones, target_bones, source_name: str, target_name: str) -> None:
    """Refuse a mapping that names bones the rigs lack, or leaves the hips or a limb unmapped."""
    source_bones, target_bones = set(source_bones), set(target_bones)
    missing_src = sorted({p.source for p in pairs if p.source not in source_bones})
    missing_tgt = sorted({p.target for p in pairs if p.target not in target_bones})
    problems = []
    if missing_src:
        problems.append(f"bones missing from source {source_name!r}: {', '.join(missing_src)}")
    if missing_tgt:
        problems.append(f"bones missing from target {target_name!r}: {', '.join(missing_tgt)}")
    roles = {p.role for p in pairs}
    unmapped = [r for r in REQUIRED_ROLES if r not in roles]
    if unmapped:
        problems.append(f"no bone mapped for: {', '.join(unmapped)}")
    targets = [p.target for p in pairs]
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        problems.append(f"target bones mapped twice: {', '.join(twice)}")
    if problems:
        raise MappingProblem("The bone mapping cannot be used: " + "; ".join(problems) + ".")
