# SPDX-License-Identifier: GPL-3.0-or-later
"""MoveClient: the API key and endpoint, checked once, the network rules, and the resources that use them."""
from __future__ import annotations

from . import retry
from .client_info import ClientInfoResource
from .credentials import DEFAULT_ENDPOINT, check_endpoint, clean_api_key
from .errors import ConfigError
from .files import Files
from .jobs import Jobs
from .network import HostPolicy, NetworkRules
from .takes import Takes
from .transfers import MAX_DOWNLOAD_BYTES, TRANSFER_TIMEOUT
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

    Move's SDK names work too: `endpoint_url=` for `endpoint=`, `client.client.retrieve()` for
    `client.client_info.retrieve()`, output type names such as "MAIN_FBX" in jobs.download.

    `allow_host(host) -> bool`, when given, is asked before every request (GraphQL, uploads,
    downloads, redirects): a host it refuses gets nothing, and the call raises ConfigError. Inside
    Blender the add-on passes one that follows Online Access. `verify` is requests' own: True, or
    the path of a CA bundle for a server with its own certificate. `max_download_bytes` is the hard
    cap of any one download (network.py and transfers.py hold the rules).

    Every call blocks: call it from a worker thread inside Blender, never from the UI thread.
    """

    def __init__(self, api_key: str, endpoint: str | None = None, *,
                 endpoint_url: str | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 transfer_timeout: tuple[float, float] = TRANSFER_TIMEOUT,
                 retry_policy: retry.RetryPolicy | None = None,
                 allow_host: HostPolicy | None = None,
                 verify: bool | str = True,
                 max_download_bytes: int = MAX_DOWNLOAD_BYTES):
        if endpoint is not None and endpoint_url is not None and endpoint != endpoint_url:
            raise ConfigError("Give the Move endpoint once: endpoint= and endpoint_url= differ.")
        chosen = endpoint if endpoint is not None else endpoint_url
        self.endpoint = check_endpoint(DEFAULT_ENDPOINT if chosen is None else chosen)
        if int(max_download_bytes) < 1:
            raise ConfigError("max_download_bytes must be a positive number of bytes.")
        self.rules = NetworkRules(self.endpoint, allow_host)
        self.transport = Transport(clean_api_key(api_key), self.endpoint, timeout=timeout,
                                   policy=retry_policy, rules=self.rules, verify=verify)
        self.transfer_timeout = transfer_timeout
        self.max_download_bytes = int(max_download_bytes)
        self.client_info = ClientInfoResource(self)
        self.client = self.client_info  # Move's SDK name: client.client.retrieve()
        self.files = Files(self)
        self.takes = Takes(self)
        self.jobs = Jobs(self)
        self.volumes = Volumes(self)

    @property
    def endpoint_url(self) -> str:
        """Move's SDK name of `endpoint`."""
        return self.endpoint

    def __repr__(self) -> str:
        return f"MoveClient(endpoint={self.endpoint!r})"
