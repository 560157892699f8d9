"""Who is calling: the client address as our trusted proxies forward it (for per-client limits)."""

from __future__ import annotations


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted_hops: int) -> str:
    """The caller's address for rate limiting: the entry `trusted_hops` from the right of
    X-Forwarded-For (the load balancer appends "<client>, <balancer>"; the local gateway appends
    "<client>"), else the peer address. Entries left of it are whatever the client sent."""
    hops = [h.strip() for h in (forwarded_for or "").split(",") if h.strip()]
    if trusted_hops > 0 and len(hops) >= trusted_hops:
        return hops[-trusted_hops]
    return remote_addr or "unknown"
