# SPDX-License-Identifier: GPL-3.0-or-later
"""A Move-API-compatible server on this machine: same GraphQL schema, presigned transfers, real jobs."""
