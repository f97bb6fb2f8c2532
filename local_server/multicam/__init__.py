# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam: cameras calibrated from the person they film, views synced by motion, joints triangulated."""
