# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's Blender-side core: scene state, rigs, sessions and importing, kept apart from operators and UI."""
