"""The token re-encryption store on the Firestore emulator: a swap replaces only the ciphertexts,
and only while they are what was read (a rotation made meanwhile wins)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from carpulse.domain.models import Account
from carpulse.gcp.firestore_rekey import FirestoreTokenRekeyStore

pytestmark = pytest.mark.stack
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _account(app, access: str, refresh: str) -> str:
    account_id = f"acc_{uuid.uuid4().hex[:12]}"
    app.account_store.save_connected(
        Account(
            account_id=account_id,
            region="eu",
            fleet_api_base_url="https://fleet",
            access_token_enc=access,
            refresh_token_enc=refresh,
            token_expires_at=NOW + timedelta(hours=8),
            created_at=NOW,
            updated_at=NOW,
        )
    )
    return account_id


def test_a_swap_replaces_only_unchanged_ciphertexts_and_nothing_else(app):
    store = FirestoreTokenRekeyStore(app.firestore)
    account_id = _account(app, "v2:old:a", "v2:old:r")
    sealed = next(s for s in store.sealed_tokens() if s.account_id == account_id)
    generation = app.account_store.get(account_id).token_generation
    new = sealed.model_copy(update={"access_token_enc": "v2:new:a", "refresh_token_enc": "v2:new:r"})
    assert store.swap_sealed(sealed, new)
    stored = app.account_store.get(account_id)
    assert (stored.access_token_enc, stored.refresh_token_enc) == ("v2:new:a", "v2:new:r")
    assert stored.token_generation == generation  # a refresher holding the lease still stores its rotation
    assert not store.swap_sealed(sealed, new)  # no longer what was read
    app.account_store.update(account_id, {"refresh_token_enc": "v2:rotated:r"})  # a refresh meanwhile
    assert not store.swap_sealed(new, sealed)
    assert app.account_store.get(account_id).refresh_token_enc == "v2:rotated:r"
    app.account_store.delete(account_id)
