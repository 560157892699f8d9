"""The rules that keep an owner's Tesla grant alive across refreshes.

Tesla's refresh tokens are single use: the refresh that reaches Tesla kills the old token, whether
or not its answer reaches us. So exactly one refresher per account holds a lease with an id; a
refresh whose outcome is unknown (timeout, dropped connection, 5xx) keeps the lease until its
deadline, so nobody reuses the old token while the first call may still be rotating it; and the
rotated pair is written fenced to the lease — but never thrown away while it is the newest grant.

The Firestore store and the in-memory fake both apply these functions (domain/transitions.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from carpulse.domain.models import Account
from carpulse.domain.transitions import Changes, Transition

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


def take_lease(account: Account | None, now: datetime, seconds: float, lease_id: str) -> Transition[Account | None]:
    """The account with our lease on it, or None when there is no account or a live lease."""
    if account is None or not lease_free(account, now):
        return None, None
    taken: Changes = {"refresh_lease_until": lease_until(now, seconds), "refresh_lease_id": lease_id}
    return account.model_copy(update=taken), taken


def release_lease(account: Account | None, lease_id: str) -> Transition[None]:
    """Let go of the lease, if it is still ours."""
    if account is None or account.refresh_lease_id != lease_id:
        return None, None
    return None, {"refresh_lease_until": None, "refresh_lease_id": None}


def store_rotated(
    account: Account | None, lease_id: str, expected_generation: int, changes: Changes
) -> Transition[RotationWrite]:
    """Rotated tokens written as rotation_write decides, freeing the lease and bumping the generation."""
    outcome = rotation_write(account, lease_id, expected_generation)
    if outcome not in ("written", "rescued"):
        return outcome, None
    update: Changes = {**changes, "token_generation": expected_generation + 1}
    update.update({"refresh_lease_until": None, "refresh_lease_id": None})
    return outcome, update


def reconnected(stored: Account | None, account: Account) -> Account:
    """The account saved by a (re)connect: a new grant, so a new generation; first connection kept."""
    if stored is None:
        return account
    return account.model_copy(update={"created_at": stored.created_at, "token_generation": stored.token_generation + 1})
