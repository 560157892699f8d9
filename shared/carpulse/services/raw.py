"""Raw-first: every Tesla response is kept, with its status and time, before it is interpreted.

Kept in memory while the calls run and written as one object per run and scope (`flush`), so no
Tesla call waits for a storage write and a VIN costs one write for all its responses. A PDF body
(an invoice) is kept as its own object already: the batch records its size and SHA-256 instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field

from carpulse.domain.billing import count_calls
from carpulse.gcp.ports import BlobStore
from carpulse.services import object_names
from carpulse.tesla.client import RawExchange


@dataclass
class RawRecorder:
    """Observer for the Fleet client: collects each exchange; `flush` stores them under raw/."""

    blobs: BlobStore
    account_id: str
    report_id: str
    scope: str  # "account" or a VIN
    batch: int = 0  # the run's number within the scope (a VIN's wait round), so no run overwrites another
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    exchanges: list[RawExchange] = field(default_factory=list, init=False)
    _flushed: int = field(default=0, init=False)

    def __call__(self, exchange: RawExchange) -> None:
        """Record one exchange (in the order the answers arrived)."""
        with self._lock:
            self.exchanges.append(exchange)

    def flush(self) -> None:
        """Write every exchange recorded so far as one object (again after more arrived)."""
        with self._lock:
            exchanges = list(self.exchanges)
        if len(exchanges) == self._flushed:
            return
        records = [_record(x) for x in exchanges]
        name = object_names.raw_batch_object(self.account_id, self.report_id, self.scope, self.batch)
        self.blobs.put(name, json.dumps({"exchanges": records}, ensure_ascii=False).encode(), "application/json")
        self._flushed = len(exchanges)

    @property
    def request_count(self) -> int:
        """How many Tesla responses were recorded."""
        return len(self.exchanges)

    def billed_calls(self) -> dict[str, int]:
        """The recorded answers Tesla bills, by category (domain/billing.py)."""
        with self._lock:
            return count_calls((x.endpoint, x.status) for x in self.exchanges)


def _record(exchange: RawExchange) -> dict[str, object]:
    record: dict[str, object] = {
        "endpoint": exchange.endpoint,
        "method": exchange.method,
        "path": exchange.path,
        "status": exchange.status,
        "received_at": exchange.received_at.isoformat(),
        "content_type": exchange.content_type,
    }
    if exchange.content_type.startswith("application/pdf"):
        record["body_sha256"] = hashlib.sha256(exchange.body).hexdigest()
        record["body_bytes"] = len(exchange.body)
        return record
    try:
        record["body"] = json.loads(exchange.body) if exchange.body else None
    except ValueError:
        record["body_base64"] = base64.b64encode(exchange.body).decode()
    return record
