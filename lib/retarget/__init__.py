# SPDX-License-Identifier: GPL-3.0-or-later
"""Retargeting in pure numpy: bone mappings and presets, rest alignment, root motion and foot lock."""
