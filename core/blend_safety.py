# SPDX-License-Identifier: GPL-3.0-or-later
"""What an output may contain: a .blend from a server is data, so only a capture comes in from it.

The rule, applied to every .blend output before and right after it is appended:

- Refused whole, before Blender reads it: a file that references other .blend files (library links).
  Appending from it would make Blender open those paths (on Windows a network path sends the user's
  login to that host), so the file's blocks are read here, in Python, and a Library block refuses it.
- Appended: the file's armature and mesh objects, with what they use (their data, materials,
  actions, shape keys, node groups, packed images). That is what a capture is.
- Removed at once, before anything is evaluated or saved: every Text datablock (a script, perhaps set
  to register on load), every driver with a Python expression (Blender runs it when Auto Run Python
  Scripts is on, and in the user's own file once it is saved and opened again), every other new
  datablock a capture has no use for (cameras, lights, worlds, images read from a path, caches...).
  What was dropped is said in the import's message.
"""
from __future__ import annotations

import gzip
import os
import struct
from typing import BinaryIO

import bpy


CAPTURE_OBJECT_TYPES = ("ARMATURE", "MESH")
# new datablocks an appended capture may bring along, by bpy.data collection
CAPTURE_DATA = ("objects", "armatures", "meshes", "materials", "actions", "shape_keys", "node_groups",
                "images")
LIBRARY_BLOCK = b"LI"
END_BLOCK = b"ENDB"
CHUNK = 1 << 20


class OutputProblem(Exception):
    """The .blend output cannot be imported: it holds what an output may not, or cannot be read;
    str() says so to the user."""


class UnsafeOutput(OutputProblem):
    """The output holds what an output may not (it links other files)."""


# -- before loading: the file's own blocks ---------------------------------------------------------------------
def _open_uncompressed(path: str) -> BinaryIO:
    raw = open(path, "rb")
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.open(raw, "rb")  # type: ignore[return-value]
    if head == b"\x28\xb5\x2f\xfd":
        import zstandard  # ships with Blender (and the bpy module) for its own compressed files
        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[return-value]
    return raw


def _read(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes; a decompressing stream may return fewer per read before its end."""
    parts, left = [], size
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _block_header(stream: BinaryIO) -> tuple[struct.Struct, int]:
    """The struct of a block header and the index of its length field, from the file header
    ('BLENDER-v402': code, len, old, SDNAnr, nr; 'BLENDER17-01v0500': code, SDNAnr, old, len, nr)."""
    head = _read(stream, 9)
    if head[:7] != b"BLENDER":
        raise OutputProblem("The output is not a .blend file.")
    if head[7:8] in (b"_", b"-"):  # legacy header: pointer size, endianness, version
        endian = {b"v": "<", b"V": ">"}.get(head[8:9])
        _read(stream, 3)
        if endian is None:
            raise OutputProblem("The output's .blend header cannot be read.")
        return struct.Struct(endian + ("4siIii" if head[7:8] == b"_" else "4siQii")), 1
    rest = _read(stream, 8)  # '17-01v0500': header size, format version, endianness, version
    if head[7:9] != b"17" or rest[:3] != b"-01" or rest[3:4] != b"v":
        raise OutputProblem("The output is a .blend file of a format this Blender cannot read.")
    return struct.Struct("<4siQqq"), 3


def block_codes(path: str) -> set[bytes]:
    """The codes of every block in a .blend file (b'OB', b'LI', ...), compressed or not."""
    codes: set[bytes] = set()
    with _open_uncompressed(path) as stream:
        header, size_index = _block_header(stream)
        while True:
            data = _read(stream, header.size)
            code = data[:4].rstrip(b"\0")
            if code == END_BLOCK:
                return codes
            if len(data) < header.size:
                raise OutputProblem("The output .blend file is cut short; download it again.")
            codes.add(code)
            length = header.unpack(data)[size_index]
            if length < 0:
                raise OutputProblem("The output .blend file is damaged; download it again.")
            while length > 0:
                skipped = len(stream.read(min(length, CHUNK)))
                if not skipped:
                    raise OutputProblem("The output .blend file is cut short; download it again.")
                length -= skipped


def refuse_linked_files(path: str) -> None:
    """UnsafeOutput when the .blend references other .blend files; Blender has not read it yet."""
    name = os.path.basename(path)
    try:
        codes = block_codes(path)
    except (OSError, EOFError, struct.error, ValueError) as exc:
        raise OutputProblem(f"Could not read {name!r}: {exc}. Download it again, or import the FBX.") from None
    if LIBRARY_BLOCK in codes:
        raise UnsafeOutput(
            f"Refused {name!r}: it links data from other .blend files, and an output may only hold a "
            "capture (armatures, meshes, materials, actions). Opening it would make Blender read files "
            "at paths the server chose, so nothing of it was imported. Import the FBX instead, and tell "
            "whoever runs that server.")


# -- after loading: what came in ------------------------------------------------------------------------------
def _id_collections() -> list[str]:
    """Every bpy.data collection of datablocks (the set differs a little between 4.2 and 5.0)."""
    names = []
    for prop in bpy.data.bl_rna.properties:
        if prop.type == "COLLECTION" and prop.identifier not in ("window_managers", "workspaces", "screens"):
            fixed = getattr(prop, "fixed_type", None)
            if fixed is not None and fixed.identifier != "ID" and _is_id(fixed):
                names.append(prop.identifier)
    return names


def _is_id(struct_rna) -> bool:
    while struct_rna is not None:
        if struct_rna.identifier == "ID":
            return True
        struct_rna = struct_rna.base
    return False


def datablocks() -> dict[str, set]:
    """All local datablocks now, by bpy.data collection."""
    return {name: set(getattr(bpy.data, name)) for name in _id_collections()}


def _animated(ids) -> list:
    """Each datablock and its embedded node tree, which keeps its own animation data."""
    owners = []
    for block in ids:
        owners.append(block)
        tree = getattr(block, "node_tree", None)
        if tree is not None:
            owners.append(tree)
    return owners


def drop_python_drivers(ids) -> int:
    """Remove every scripted (Python expression) driver of these datablocks; how many."""
    dropped = 0
    for owner in _animated(ids):
        anim = getattr(owner, "animation_data", None)
        if anim is None:
            continue
        for curve in [c for c in anim.drivers if c.driver.type == "SCRIPTED"]:
            anim.drivers.remove(curve)
            dropped += 1
    return dropped


def _is_capture_block(collection: str, block) -> bool:
    if collection == "objects":
        return block.type in CAPTURE_OBJECT_TYPES
    if collection == "images":  # only pixels inside the file: an image path would be read from disk or network
        return block.packed_file is not None or block.source == "GENERATED"
    return collection in CAPTURE_DATA


def append_capture(path: str) -> tuple[list, list[str]]:
    """Append the capture in the .blend at `path`: (its armature and mesh objects, what was dropped
    and why). UnsafeOutput before anything is read when it links other files."""
    refuse_linked_files(path)
    before = datablocks()
    try:
        with bpy.data.libraries.load(path, link=False) as (source, target):  # type: ignore[attr-defined]
            target.objects = list(source.objects)
    except OSError as exc:
        raise OutputProblem(f"Could not read {os.path.basename(path)!r}: {exc}. A .blend saved by a newer "
                            "Blender cannot be opened by this one: choose FBX as the import format in the "
                            "add-on preferences and import again.") from None
    after = datablocks()
    new = {name: after[name] - before.get(name, set()) for name in after}
    everything = [block for blocks in new.values() for block in blocks]
    notes = []
    dropped = drop_python_drivers(everything)  # first: before anything could evaluate them
    if dropped:
        notes.append(f"Dropped {dropped} driver{'s' * (dropped != 1)} with a Python expression: an output "
                     "is data, and its code is never run.")
    # Appending leaves a Library of the output itself (nothing linked from it): not kept in the user's
    # file. Any other is a file the output linked, which refuse_linked_files() makes impossible.
    own = [lib for lib in new.get("libraries", ()) if bpy.path.abspath(lib.filepath) == os.path.abspath(path)]
    if len(own) != len(new.get("libraries", ())):
        bpy.data.batch_remove(everything)
        raise UnsafeOutput(f"Refused {os.path.basename(path)!r}: it links data from other .blend files.")
    new["libraries"] = set()
    if own:
        bpy.data.batch_remove(own)
    unwanted = [b for name, blocks in new.items() for b in blocks if not _is_capture_block(name, b)]
    texts = [b for b in new.get("texts", ()) if b in unwanted]
    if texts:
        notes.append(f"Left out {len(texts)} text{'s' * (len(texts) != 1)} (scripts): an output may only "
                     "hold a capture.")
    others = len(unwanted) - len(texts)
    if unwanted:
        bpy.data.batch_remove(unwanted)
    if others:
        notes.append(f"Left out {others} other datablock{'s' * (others != 1)} a capture does not use.")
    _remove_orphans(new)
    kept = [o for o in new.get("objects", ()) if _alive(o)]
    return kept, notes


def _alive(block) -> bool:
    try:
        block.name
    except ReferenceError:
        return False
    return True


def _remove_orphans(new: dict[str, set]) -> None:
    """New datablocks nothing uses any more (they came in with a left-out object)."""
    while True:
        orphans = [b for name, blocks in new.items() if name != "objects" for b in blocks
                   if _alive(b) and b.users == 0 and not b.use_fake_user]
        if not orphans:
            return
        bpy.data.batch_remove(orphans)
