# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the API key and endpoint before any request, and where a key may go.

Where a key may go: a key entered for an endpoint is only ever sent to that endpoint, that is to
the endpoint's origin (scheme, host, port): `endpoint_identity()` names it. GraphQL requests to the
endpoint carry the key; presigned transfer hosts, other endpoints, proxies and redirects to another
origin never get it (network.GuardedSession enforces this on every request). Off this machine a key
travels only over https.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .errors import ConfigError

DEFAULT_ENDPOINT = "https://api.move.ai/ugc/graphql"


def clean_api_key(api_key: object) -> str:
    """The key without surrounding whitespace; ConfigError (never quoting the key) if unusable."""
    if not isinstance(api_key, str):
        raise ConfigError("The Move API key must be text. Paste it in the add-on preferences.")
    key = api_key.strip()
    if not key:
        raise ConfigError("No Move API key is set. Paste your key in the add-on preferences "
                          "(Move's web app, under API keys).")
    if any(ch.isspace() for ch in key):
        raise ConfigError("The Move API key contains spaces or line breaks. Copy it again, as one "
                          "line, into the add-on preferences.")
    if not key.isascii() or not key.isprintable():
        raise ConfigError("The Move API key contains characters an API key cannot hold. Copy it "
                          "again into the add-on preferences.")
    return key


def is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: object) -> str:
    """The endpoint URL, if it is http(s) with a host; plain http only for this machine."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ConfigError(f"No Move endpoint is set. Use {DEFAULT_ENDPOINT}.")
    url = endpoint.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"The Move endpoint {url!r} is not a valid URL. Use {DEFAULT_ENDPOINT}.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"The Move endpoint {url!r} must be an http(s) URL such as {DEFAULT_ENDPOINT}.")
    if parts.username or parts.password:
        raise ConfigError("The Move endpoint must not hold a user name or password.")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ConfigError(f"The Move endpoint {url!r} uses plain http to another machine, which "
                          "would send the API key unencrypted. Use https (plain http is allowed only "
                          "for a local server on 127.0.0.1 or localhost).")
    return url


DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint_identity(url: str) -> str:
    """The name of the key slot for an endpoint: its origin, normalised.

    'https://API.move.ai:443/ugc/graphql/' -> 'https://api.move.ai'; 'http://127.0.0.1:8765/ugc/graphql'
    -> 'http://127.0.0.1:8765'; 'http://[::1]:8765/x' -> 'http://[::1]:8765'. Two URLs with the same
    identity are the same server as far as a key is concerned (a key may go from one to the other);
    anything else is another server, so `localhost` and `127.0.0.1` are two identities (each keeps
    its own key). Raises ConfigError for what check_endpoint() refuses to parse.

    For the add-on's per-endpoint key storage: store and look up keys by this string, so that
    switching the endpoint switches the key.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"No Move endpoint is set. Use {DEFAULT_ENDPOINT}.")
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ConfigError(f"The Move endpoint {url!r} is not a valid URL. Use {DEFAULT_ENDPOINT}.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not host:
        raise ConfigError(f"The Move endpoint {url!r} must be an http(s) URL such as {DEFAULT_ENDPOINT}.")
    host = host.lower().rstrip(".")
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host += f":{port}"
    return f"{scheme}://{host}"


def same_identity(url: str, endpoint: str) -> bool:
    """Whether `url` is on the endpoint's origin, so that the endpoint's key may go there."""
    try:
        return endpoint_identity(url) == endpoint_identity(endpoint)
    except ConfigError:
        return False
