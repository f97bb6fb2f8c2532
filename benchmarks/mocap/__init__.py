# SPDX-License-Identifier: GPL-3.0-or-later
"""Accuracy and speed of the MediaPipe processor against a rendered clip with exact ground truth."""
