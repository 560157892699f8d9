"""Finding an account's Fleet API region again after Tesla answers 421."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from carpulse.config import Settings
from carpulse.gcp.ports import AccountStore, Clock
from carpulse.logs import log_fields
from carpulse.tesla.client import TokenProvider
from carpulse.tesla.errors import TeslaError, WrongRegionError
from carpulse.tesla.ports import RegionApi

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class RegionRediscovery:
    """on_wrong_region callback of an account's Fleet client: ask users/region, persist, return."""

    account_id: str
    tokens: TokenProvider
    settings: Settings
    accounts: AccountStore
    fleet: Callable[[str, TokenProvider], RegionApi]
    clock: Clock

    def __call__(self, error: WrongRegionError) -> str:
        """The base URL to retry at; raises the original error if the region cannot be found."""
        # users/region answers from any region; ask where Tesla pointed us, else at the default.
        probe_base = error.suggested_base_url or self.settings.region_base_url(self.settings.tesla_default_region)
        try:
            found = self.fleet(probe_base, self.tokens).user_region()
        except TeslaError:
            raise error from None
        region = (found.region or "").lower()
        base = self.settings.tesla_region_base_urls.get(region) or found.fleet_api_base_url
        if not base:
            raise error
        self.accounts.update(
            self.account_id, {"region": region, "fleet_api_base_url": base, "updated_at": self.clock()}
        )
        log.info("account moved region", extra=log_fields(account=self.account_id, region=region))
        return base
