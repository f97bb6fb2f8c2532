# SPDX-License-Identifier: GPL-3.0-or-later
"""MoveClient: the API key and endpoint, checked once, and the resources that use them."""
from __future__ import annotations

from . import retry
from .client_info import ClientInfoResource
from .credentials import DEFAULT_ENDPOINT, check_endpoint, clean_api_key
from .files import Files
from .jobs import Jobs
from .takes import Takes
from .transfers import TRANSFER_TIMEOUT
from .transport import DEFAULT_TIMEOUT, Transport
from .volumes import Volumes


class MoveClient:
    """A client of the Move API, shaped like Move's Python SDK:

        client = MoveClient(api_key)                       # or endpoint="http://127.0.0.1:8765/ugc/graphql"
        file = client.files.upload("walk.mp4")
        take = client.takes.create_singlecam(sources=[{"deviceLabel": "cam01", "fileId": file.id,
                                                       "format": "MP4"}])
        job = client.jobs.create_singlecam(take.id, options={"mocapModel": "S2"})
        job = client.jobs.wait(job.id)
        path = client.jobs.download(job, "fbx", "/tmp/move")

    Every call blocks: call it from a worker thread inside Blender, never from the UI thread.
    """

    def __init__(self, api_key: str, endpoint: str = DEFAULT_ENDPOINT, *,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 transfer_timeout: tuple[float, float] = TRANSFER_TIMEOUT,
                 retry_policy: retry.RetryPolicy | None = None):
        self.endpoint = check_endpoint(endpoint)
        self.transport = Transport(clean_api_key(api_key), self.endpoint, timeout=timeout,
                                   policy=retry_policy)
        self.transfer_timeout = transfer_timeout
        self.client_info = ClientInfoResource(self)
        self.files = Files(self)
        self.takes = Takes(self)
        self.jobs = Jobs(self)
        self.volumes = Volumes(self)

    def __repr__(self) -> str:
        return f"MoveClient(endpoint={self.endpoint!r})"
