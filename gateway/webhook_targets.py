"""Which URLs a webhook may call: http(s) only, and no internal addresses (SSRF).

A webhook makes the gateway send requests where a user says, from inside the deployment:
without a check, a URL could reach the cloud metadata service (169.254.169.254), the
database or Kafka on loopback, or anything on the private network. So a target that is,
or resolves to, a loopback, link-local, private, multicast, reserved or unspecified
address is refused, at registration and again before every attempt (a name may resolve
elsewhere later), unless VORI_GATEWAY__WEBHOOK_ALLOW_PRIVATE_TARGETS is set. Redirects are
never followed. What remains: a name that resolves differently between the check and the
request (DNS rebinding within milliseconds); a deployment that cares runs an egress proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefusedError(ValueError):
    """A webhook URL vori will not call; the message says why."""


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str) -> str:
    """The host of an acceptable webhook URL's form (http or https, a host, no credentials)."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:  # a bad port or a bracketed host that is no IP address
        raise TargetRefusedError(f"bad webhook URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefusedError("a webhook URL must start with http:// or https://")
    if not host:
        raise TargetRefusedError("a webhook URL must name a host")
    if parts.username or parts.password:
        raise TargetRefusedError("a webhook URL may not carry credentials; use the secret")
    return host


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a URL vori must not call (TargetRefusedError); resolves its host name."""
    host = check_url(url)
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetRefusedError(f"webhook target {host} is this machine")
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a label IDNA refuses
            raise TargetRefusedError(f"webhook host {host} does not resolve: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if _is_internal(address):
            raise TargetRefusedError(
                f"webhook target {host} is an internal address ({address}); "
                "VORI_GATEWAY__WEBHOOK_ALLOW_PRIVATE_TARGETS allows such targets"
            )
