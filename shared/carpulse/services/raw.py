"""Raw-first: every Tesla response is kept, with its status and time, before it is interpreted."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from carpulse.gcp.ports import BlobStore
from carpulse.services import layout
from carpulse.tesla.client import RawExchange


@dataclass
class RawRecorder:
    """Observer for FleetClient: stores each exchange under the report's raw/ prefix."""

    blobs: BlobStore
    account_id: str
    report_id: str
    scope: str  # "account" or a VIN
    _counts: Counter[str] = field(default_factory=Counter, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    exchanges: list[RawExchange] = field(default_factory=list, init=False)

    def __call__(self, exchange: RawExchange) -> None:
        """Store one exchange (numbered per endpoint, in call order)."""
        with self._lock:
            self._counts[exchange.endpoint] += 1
            seq = self._counts[exchange.endpoint]
            self.exchanges.append(exchange)
        record: dict[str, object] = {
            "endpoint": exchange.endpoint,
            "method": exchange.method,
            "path": exchange.path,
            "status": exchange.status,
            "received_at": exchange.received_at.isoformat(),
            "content_type": exchange.content_type,
        }
        try:
            record["body"] = json.loads(exchange.body) if exchange.body else None
        except ValueError:
            record["body_base64"] = base64.b64encode(exchange.body).decode()
        name = layout.raw_object(self.account_id, self.report_id, self.scope, exchange.endpoint, seq)
        self.blobs.put(name, json.dumps(record, ensure_ascii=False).encode(), "application/json")

    @property
    def request_count(self) -> int:
        """How many Tesla responses were recorded."""
        return len(self.exchanges)
