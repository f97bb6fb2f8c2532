# SPDX-License-Identifier: GPL-3.0-or-later
"""Multicam figures on Pose2Sim's demos: calibration from the person against the lab's, motion, speed."""
