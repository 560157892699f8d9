"""The token keyring: ciphertexts carry their key id, a rotation keeps the previous key, instances
pick a rotated ring up, and re-encryption moves every account without losing a rotation."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carpulse.crypto import TokenCipher, new_encryption_key
from carpulse.errors import ConfigError, RetryLaterError
from carpulse.gcp.ports import SealedTokens, TokenRekeyStore
from carpulse.keyring import LEGACY_KEY_ID, first_keyring, parse_keyring
from carpulse.services.rekey import TokenRekeyer
from carpulse.services.tokens import TokenVault

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _v1(key_b64: str, plaintext: str, context: str) -> str:
    """A token sealed the way the code did before keyrings (no key id)."""
    nonce = os.urandom(12)
    sealed = AESGCM(base64.b64decode(key_b64)).encrypt(nonce, plaintext.encode(), context.encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def test_a_ciphertext_names_its_key_and_opens_after_a_rotation_until_the_key_is_retired():
    ring = first_keyring(NOW)
    sealed = TokenCipher(ring.to_secret()).encrypt("refresh-1", context="acc")
    assert sealed.startswith(f"v2:{ring.current}:")
    rotated = ring.rotated(NOW)
    assert rotated.previous == (ring.current,)
    assert rotated.keys[ring.current] == ring.keys[ring.current]  # the old key is kept as it was
    after = TokenCipher(rotated.to_secret())
    assert after.decrypt(sealed, context="acc") == "refresh-1"
    assert after.needs_rekey(sealed)
    assert after.encrypt("x", context="acc").startswith(f"v2:{rotated.current}:")
    with pytest.raises(ConfigError, match="does not hold"):
        TokenCipher(rotated.retired().to_secret()).decrypt(sealed, context="acc")


def test_a_second_rotation_is_refused_while_the_previous_key_is_kept():
    rotated = first_keyring(NOW).rotated(NOW)
    with pytest.raises(ConfigError, match="reencrypt"):
        rotated.rotated(NOW)
    assert rotated.retired().rotated(NOW).previous == (rotated.current,)


def test_a_bare_key_is_the_legacy_keyring_and_opens_tokens_sealed_before_keyrings():
    key = new_encryption_key()
    ring = parse_keyring(key)
    assert (ring.current, ring.previous) == (LEGACY_KEY_ID, ())
    old = _v1(key, "access-1", "acc")
    rotated = TokenCipher(ring.rotated(NOW).to_secret())
    assert rotated.decrypt(old, context="acc") == "access-1"
    assert rotated.key_id_of(old) is None
    assert rotated.needs_rekey(old)


@pytest.mark.parametrize(
    "secret",
    ["c2hvcnQ=", "{}", '{"current": "a", "keys": {}}', '{"current": "a b", "keys": {"a b": "x"}}', "not base64!"],
)
def test_a_broken_keyring_is_a_configuration_error_that_shows_no_value(secret):
    with pytest.raises(ConfigError) as broken:
        TokenCipher(secret)
    assert "c2hvcnQ" not in str(broken.value)


def test_the_account_id_is_bound_and_a_relabelled_key_id_does_not_open():
    ring = first_keyring(NOW).rotated(NOW)
    cipher = TokenCipher(ring.to_secret())
    sealed = cipher.encrypt("t", context="acc")
    with pytest.raises(ConfigError):
        cipher.decrypt(sealed, context="other")
    relabelled = sealed.replace(ring.current, ring.previous[0], 1)
    with pytest.raises(ConfigError):
        cipher.decrypt(relabelled, context="acc")


class Secret:
    """The keyring secret as Secret Manager holds it: versions added over time."""

    def __init__(self, value: str) -> None:
        self.value, self.reads = value, 0

    def read(self) -> str:
        self.reads += 1
        return self.value


def test_an_instance_reads_a_rotated_ring_when_a_token_names_a_key_it_lacks_and_every_refresh():
    ring = first_keyring(NOW)
    secret, clock = Secret(ring.to_secret()), [0.0]
    stale = TokenCipher(secret.read, refresh_seconds=300, clock=lambda: clock[0])
    rotated = ring.rotated(NOW)
    secret.value = rotated.to_secret()
    sealed_by_a_new_instance = TokenCipher(secret.value).encrypt("t", context="acc")
    clock[0] = 6  # past the re-read guard, long before the refresh
    assert stale.decrypt(sealed_by_a_new_instance, context="acc") == "t"
    assert stale.current_key_id == rotated.current
    reads = secret.reads
    unknown = sealed_by_a_new_instance.replace(rotated.current, "t00000000-ffffff")
    for _ in range(3):
        with pytest.raises(ConfigError, match="does not hold"):
            stale.decrypt(unknown, context="acc")
    assert secret.reads == reads + 1  # an id still unknown after a re-read is asked for again only after 5 s
    reads = secret.reads
    retired = rotated.retired()
    secret.value = retired.to_secret()
    clock[0] = 400  # the refresh: the ring as it is now
    assert stale.current_key_id == retired.current
    assert secret.reads == reads + 1


class FakeRekeyStore(TokenRekeyStore):
    """Accounts' ciphertexts in memory; a swap replaces them only while unchanged."""

    def __init__(self, items: dict[str, SealedTokens]) -> None:
        self.items = items
        self.before_swap = lambda account_id: None  # a refresh racing the swap

    def sealed_tokens(self) -> Iterator[SealedTokens]:
        yield from list(self.items.values())

    def swap_sealed(self, expected: SealedTokens, replacement: SealedTokens) -> bool:
        self.before_swap(expected.account_id)
        if self.items.get(expected.account_id) != expected:
            return False
        self.items[expected.account_id] = replacement
        return True


def _accounts(cipher: TokenCipher, count: int) -> dict[str, SealedTokens]:
    return {
        f"acc{n}": SealedTokens(
            account_id=f"acc{n}",
            access_token_enc=cipher.encrypt(f"access-{n}", context=f"acc{n}"),
            refresh_token_enc=cipher.encrypt(f"refresh-{n}", context=f"acc{n}"),
        )
        for n in range(count)
    }


def test_reencryption_moves_every_account_and_keeps_a_rotation_made_meanwhile():
    old = first_keyring(NOW)
    store = FakeRekeyStore(_accounts(TokenCipher(old.to_secret()), 5))
    rotated = old.rotated(NOW)
    vault = TokenVault(cipher=TokenCipher(rotated.to_secret()))

    def refresh_acc2_once(account_id: str) -> None:
        if account_id == "acc2":
            store.before_swap = lambda _: None
            # A stale instance rotates acc2's tokens under the old key right before our swap.
            stale = TokenCipher(old.to_secret())
            store.items["acc2"] = SealedTokens(
                account_id="acc2",
                access_token_enc=stale.encrypt("access-new", context="acc2"),
                refresh_token_enc=stale.encrypt("refresh-new", context="acc2"),
            )

    store.before_swap = refresh_acc2_once
    report = TokenRekeyer(store, vault, rotated, lambda: NOW + timedelta(hours=1)).run()
    assert (report.accounts, report.moved, report.left) == (5, 5, 0)
    assert all(not vault.needs_rekey(s.access_token_enc) for s in store.items.values())
    assert vault.open("acc2", store.items["acc2"].refresh_token_enc) == "refresh-new"  # the rotation survived
    again = TokenRekeyer(store, vault, rotated, lambda: NOW + timedelta(hours=1)).run()
    assert (again.moved, again.already_current, again.left) == (0, 5, 0)


def test_reencryption_waits_until_every_instance_has_read_the_rotated_ring():
    rotated = first_keyring(NOW).rotated(NOW)
    rekeyer = TokenRekeyer(
        FakeRekeyStore({}), TokenVault(cipher=TokenCipher(rotated.to_secret())), rotated, lambda: NOW
    )
    with pytest.raises(RetryLaterError, match="rotated less than 300 s ago"):
        rekeyer.run()
    assert rekeyer.run(force=True).left == 0


def test_an_account_no_key_opens_is_reported_not_lost():
    ring = first_keyring(NOW)
    foreign = TokenCipher(first_keyring(NOW).to_secret())  # another environment's key
    store = FakeRekeyStore({**_accounts(foreign, 1), "acc1": _accounts(TokenCipher(ring.to_secret()), 2)["acc1"]})
    rotated = ring.rotated(NOW)
    report = TokenRekeyer(store, TokenVault(cipher=TokenCipher(rotated.to_secret())), rotated, lambda: NOW, 0).run()
    assert report.unreadable == ["acc0"]
    assert report.left == 1
