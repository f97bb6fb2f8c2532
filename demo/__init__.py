# SPDX-License-Identifier: GPL-3.0-or-later
"""The project's main job: `make demo` (python -m demo)."""
