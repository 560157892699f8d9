"""Scheduler job: refresh access tokens that expire soon, so report work never waits on Tesla auth."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel

from carpulse.errors import ReconnectRequiredError, RetryLaterError
from carpulse.gcp.ports import AccountStore, Clock
from carpulse.logs import log_fields
from carpulse.services.tokens import TokenRefresher

log = logging.getLogger(__name__)


class RefreshSummary(BaseModel):
    """What one scheduler run did."""

    due: int = 0
    refreshed: int = 0
    reconnect_required: int = 0
    retry_later: int = 0
    errors: int = 0


@dataclass(kw_only=True)
class RefreshDueService:
    """Refreshes every active account whose access token expires within the margin."""

    accounts: AccountStore
    refresher: TokenRefresher
    clock: Clock
    margin_seconds: int = 3600

    def run(self) -> RefreshSummary:
        """One pass over the due accounts; one account's failure does not stop the others."""
        summary = RefreshSummary()
        due = self.accounts.expiring_before(self.clock() + timedelta(seconds=self.margin_seconds))
        summary.due = len(due)
        for account in due:
            try:
                self.refresher.refresh(account.account_id, unless_generation_above=account.token_generation)
                summary.refreshed += 1
            except ReconnectRequiredError:
                summary.reconnect_required += 1
                log.error("account needs the owner to connect again", extra=log_fields(account=account.account_id))
            except RetryLaterError:
                summary.retry_later += 1
                log.warning("refresh postponed", extra=log_fields(account=account.account_id))
            except Exception:
                # One account's trouble (a store timeout, a bug) never stops the run for the others.
                summary.errors += 1
                log.exception("refresh of one account failed", extra=log_fields(account=account.account_id))
        log.info("token refresh run", extra=log_fields(**summary.model_dump()))
        return summary
