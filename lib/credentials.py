# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the API key and endpoint before any request: keys travel over https off this machine."""
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
