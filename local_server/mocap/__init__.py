# SPDX-License-Identifier: GPL-3.0-or-later
"""Markerless motion capture: MediaPipe landmarks to a `Motion` on Move's rig."""
