"""Our Fleet client against python-tesla-fleet-api, making the same calls side by side on the same
simulator with the same added latency, under the same per-account bound on calls in flight.

Both sides make a VIN's nine module calls at once (for one VIN and for twenty), and read a 500-
session charging history (the first page, then the rest at once). The other library is asyncio
on aiohttp; ours is threads over `requests`: the ratio says whether that choice costs anything.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import requests

from carpulse.tesla.client import FleetClient
from carpulse.tesla.fanout import run_all
from carpulse.tesla.transport import CALLS_IN_FLIGHT_PER_ACCOUNT, AccountGate

BOUND = CALLS_IN_FLIGHT_PER_ACCOUNT


class StaticToken:
    """A TokenProvider holding one token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        """The token."""
        return self._token

    def refresh_after_expiry(self, stale_token: str) -> str:
        """No refresh in a benchmark."""
        return self._token

    def revoked(self) -> None:
        """Nothing to mark."""


def ours(base_url: str, token: str, vins: list[str], *, history: bool = False) -> float:
    """Seconds for our client to make the calls (one gate for the account)."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=2 * BOUND)
    session.mount("http://", adapter)
    client = FleetClient(base_url, StaticToken(token), session, gate=AccountGate(BOUND))
    started = time.perf_counter()
    if history:
        client.charging_history()
    else:
        run_all([call for vin in vins for call in _our_calls(client, vin)], workers=len(vins) * 9)
    return time.perf_counter() - started


def _our_calls(client: FleetClient, vin: str) -> list[Callable[[], Any]]:
    return [
        lambda: client.vehicle(vin),
        lambda: client.vehicle_data(vin),
        lambda: client.service_data(vin),
        lambda: client.recent_alerts(vin),
        lambda: client.release_notes(vin),
        lambda: client.warranty(vin),
        lambda: client.options(vin),
        lambda: client.fleet_status([vin]),
        lambda: client.charging_history(vin=vin),
    ]


def theirs(base_url: str, token: str, vins: list[str], *, history: bool = False) -> float:
    """Seconds for python-tesla-fleet-api to make the same calls (asyncio.gather, same bound)."""
    return asyncio.run(_theirs(base_url, token, vins, history))


async def _theirs(base_url: str, token: str, vins: list[str], history: bool) -> float:
    import aiohttp
    from tesla_fleet_api import TeslaFleetApi

    bound = asyncio.Semaphore(BOUND)

    async def limited(call: Any) -> Any:
        async with bound:
            return await call

    async with aiohttp.ClientSession() as session:
        api = TeslaFleetApi(session, access_token=token, server=base_url)
        started = time.perf_counter()
        if history:
            first = await api.charging.history(pageNo=0, pageSize=100)
            pages = math.ceil(first["response"]["totalResults"] / 100)
            await asyncio.gather(*(limited(api.charging.history(pageNo=n, pageSize=100)) for n in range(1, pages)))
        else:
            calls = []
            for vin in vins:
                car = api.vehicles.createFleet(vin)
                calls += [
                    car.vehicle(),
                    car.vehicle_data(),
                    car.service_data(),
                    car.recent_alerts(),
                    car.release_notes(),
                    car.warranty_details(vin),
                    car.options(vin),
                    car.fleet_status([vin]),
                    api.charging.history(vin=vin, pageNo=0, pageSize=100),
                ]
            await asyncio.gather(*(limited(c) for c in calls))
        return time.perf_counter() - started


def paired(base_url: str, token: str, vins: list[str], *, history: bool = False, runs: int = 5) -> float:
    """The median of our time over theirs, measured in turns (A B A B …) after one warm-up each."""
    ours(base_url, token, vins, history=history)
    theirs(base_url, token, vins, history=history)
    ratios = []
    for _ in range(runs):
        mine = ours(base_url, token, vins, history=history)
        ratios.append(mine / theirs(base_url, token, vins, history=history))
    ratios.sort()
    return ratios[len(ratios) // 2]
