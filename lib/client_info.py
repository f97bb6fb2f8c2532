# SPDX-License-Identifier: GPL-3.0-or-later
"""client.client_info: who the API key belongs to; the cheapest call that proves the key works."""
from __future__ import annotations

import threading

from .models import ClientInfo


class ClientInfoResource:
    def __init__(self, client):
        self._client = client

    def retrieve(self, *, cancel: threading.Event | None = None) -> ClientInfo:
        data = self._client.transport.execute("GetClient", {}, cancel=cancel)
        return ClientInfo.from_api(data["client"])
