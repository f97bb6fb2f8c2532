# SPDX-License-Identifier: GPL-3.0-or-later
"""Job processors: what a local-server job computes from a take's video."""
