# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules every request of a MoveClient passes before it leaves this machine.

One HTTP session class (GuardedSession) sends everything: GraphQL requests, presigned uploads and
downloads, and every redirect of them. Before each of those it applies, in this order:

1. the caller's network policy: `allow_host(host)` (inside Blender, Online Access) must allow the
   host, or ConfigError and nothing is sent;
2. no downgrade: under an https endpoint no request goes in plain http (a presigned link, a
   redirect of a GraphQL request or of a transfer), or InsecureConnection and nothing is sent;
3. where a key may go (credentials.py): the Authorization header goes only to the endpoint's own
   origin; on any other origin it is removed, whoever set it;
4. loopback never goes through a proxy: requests to 127.0.0.1, ::1 or localhost go direct whatever
   HTTP_PROXY / HTTPS_PROXY / ALL_PROXY say (a proxy would see the key and the video).
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

import requests

from .credentials import endpoint_identity, is_loopback_host
from .errors import ConfigError, InsecureConnection

HostPolicy = Callable[[str], bool]


def describe_url(url: str) -> str:
    """scheme://host/path of a URL, without query (presigned signatures) or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def is_loopback_url(url: str) -> bool:
    try:
        return is_loopback_host(urlsplit(url).hostname or "")
    except ValueError:
        return False


class NetworkRules:
    """What this client may reach, from its endpoint and the caller's optional host policy."""

    def __init__(self, endpoint: str, allow_host: HostPolicy | None = None):
        if allow_host is not None and not callable(allow_host):
            raise ConfigError("allow_host must be a function taking a host name and returning True or False.")
        self.endpoint = endpoint
        self.identity = endpoint_identity(endpoint)
        self.https_only = urlsplit(endpoint).scheme.lower() == "https"
        self.allow_host = allow_host

    def check(self, url: str, what: str = "request") -> None:
        """Raise, before anything is sent, if `url` may not be reached for `what` (e.g. "upload")."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.allow_host is not None and not self.allow_host(host):
            raise ConfigError(
                f"Nothing was sent to {host or describe_url(url)} (the {what}): this client's network "
                "policy does not allow that host (inside Blender: Allow Online Access is off, in Preferences > System "
                "> Network). Turn online access on to use Move.", operation=what)
        if self.https_only and parts.scheme.lower() != "https":
            raise InsecureConnection(
                f"Refused the {what} {'from' if what == 'download' else 'to'} {describe_url(url)}: the endpoint {describe_url(self.endpoint)} "
                "uses https, and this address is plain http, which would travel unencrypted. Nothing "
                "was sent. Check the endpoint in the add-on preferences; if it is Move's, tell Move's "
                "support.", operation=what, url=describe_url(url))

    def may_carry_key(self, url: str) -> bool:
        """Where a key may go: only to the endpoint's own origin."""
        try:
            return endpoint_identity(url) == self.identity
        except ConfigError:
            return False


class GuardedSession(requests.Session):
    """A requests session that applies NetworkRules to every request it sends, redirects included
    (requests sends each redirect through `send` too)."""

    def __init__(self, rules: NetworkRules):
        super().__init__()
        self.rules = rules

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and self.verify is not True:
            # requests lets REQUESTS_CA_BUNDLE override the session's own CA bundle; the caller's wins.
            settings["verify"] = self.verify
        return settings

    def send(self, request, **kwargs):
        url = request.url or ""
        self.rules.check(url)
        if not self.rules.may_carry_key(url):
            request.headers.pop("Authorization", None)
        if is_loopback_url(url):
            kwargs["proxies"] = {}  # direct: no proxy from the environment sees loopback traffic
        return super().send(request, **kwargs)
