# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks: each figure measured next to its baseline in the same run (`python -m benchmarks`)."""
