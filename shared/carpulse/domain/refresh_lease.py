"""The rules that keep an owner's Tesla grant alive across refreshes.

Tesla's refresh tokens are single use: the refresh that reaches Tesla kills the old token, whether
or not its answer reaches us. So exactly one refresher per account holds a lease with an id; a
refresh whose outcome is unknown (timeout, dropped connection, 5xx) keeps the lease until its
deadline, so nobody reuses the old token while the first call may still be rotating it; and the
rotated pair is written fenced to the lease — but never thrown away while it is the newest grant.

The Firestore store and the in-memory fake both apply these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from carpulse.domain.models import Account

RotationWrite = Literal["written", "rescued", "superseded", "gone"]


def lease_free(account: Account, now: datetime) -> bool:
    """Whether a refresher may take the lease now."""
    return account.refresh_lease_until is None or account.refresh_lease_until <= now


def lease_until(now: datetime, seconds: float) -> datetime:
    """The end of a lease taken now."""
    return now + timedelta(seconds=seconds)


def rotation_write(account: Account | None, lease_id: str, expected_generation: int) -> RotationWrite:
    """What to do with freshly rotated tokens.

    written: we still hold the lease and nobody rotated since we read the account.
    rescued: our lease was lost (it expired) but the grant was not replaced: our tokens are the
      only live ones (Tesla killed the old refresh token when it rotated), so they are stored.
    superseded: the owner reconnected meanwhile (a newer generation): theirs are newer, ours are
      not needed. gone: the account was deleted.
    """
    if account is None:
        return "gone"
    if account.token_generation != expected_generation:
        return "superseded"
    return "written" if account.refresh_lease_id == lease_id else "rescued"
