"""Firestore adapter of the TokenRekeyStore port: the token ciphertexts of `accounts/{id}`.

A swap is a transaction on the account document that writes only the two ciphertext fields, and
only while they are what was read: a refresh that rotated the tokens meanwhile (under the new key,
or under the old one by an instance that has not re-read the keyring yet) wins, and the next pass
looks at the account again. The token generation is not touched, so a refresher holding the
lease still stores its rotation.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.cloud import firestore

from carpulse.gcp.firestore_store import ACCOUNTS
from carpulse.gcp.ports import SealedTokens

_FIELDS = ("access_token_enc", "refresh_token_enc")
_MAX_ATTEMPTS = 10


class FirestoreTokenRekeyStore:
    """Reads and swaps the accounts' token ciphertexts."""

    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def sealed_tokens(self) -> Iterator[SealedTokens]:
        """Every account's ciphertexts (only those two fields are read)."""
        for snap in self._db.collection(ACCOUNTS).select(list(_FIELDS)).stream():
            data = snap.to_dict() or {}
            if all(isinstance(data.get(name), str) for name in _FIELDS):
                yield SealedTokens(account_id=snap.id, **{name: data[name] for name in _FIELDS})

    def swap_sealed(self, expected: SealedTokens, replacement: SealedTokens) -> bool:
        """Write the new ciphertexts if the stored ones are still the expected ones."""
        ref = self._db.collection(ACCOUNTS).document(expected.account_id)

        @firestore.transactional
        def swap(tx: firestore.Transaction) -> bool:
            snap = ref.get(transaction=tx)
            stored = snap.to_dict() if snap.exists else None
            if stored is None or any(stored.get(name) != getattr(expected, name) for name in _FIELDS):
                return False
            tx.update(ref, {name: getattr(replacement, name) for name in _FIELDS})
            return True

        swapped: bool = swap(self._db.transaction(max_attempts=_MAX_ATTEMPTS))  # transactional() returns Any
        return swapped
