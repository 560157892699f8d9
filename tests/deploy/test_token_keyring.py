"""`make keys KEY=token-encryption-key` rotates the keyring: a new current key, the previous one
kept (so nobody is disconnected), a second rotation refused until the previous key is retired;
the keyring reaches gcloud on stdin only and is never printed."""

from __future__ import annotations

from carpulse.keyring import first_keyring, parse_keyring
from infra.functions import TOKEN_KEY

ARGV = ["-m", "infra.deploy.keys", "--env", "dev", "--key", TOKEN_KEY]


def _keys(fake_gcloud, *extra: str):
    return fake_gcloud.run([*ARGV, "--keys-dir", str(fake_gcloud.work / "keys"), *extra])


def _added(fake_gcloud) -> list[bytes]:
    return [c.stdin for c in fake_gcloud.project.calls if c.args[:3] == ["secrets", "versions", "add"]]


def _never_shown(run, *values: str) -> None:
    for value in values:
        assert value not in run.stdout + run.stderr


def test_the_first_keyring_holds_one_key(fake_gcloud):
    run = _keys(fake_gcloud, "--apply")
    assert run.returncode == 0, run.stderr
    (value,) = _added(fake_gcloud)
    ring = parse_keyring(value.decode())
    assert ring.previous == ()
    _never_shown(run, ring.keys[ring.current])


def test_a_rotation_adds_a_current_key_and_keeps_the_previous_then_waits_for_its_retirement(fake_gcloud):
    before = first_keyring()
    fake_gcloud.project.secret_values[TOKEN_KEY] = before.to_secret().encode()
    rotated_run = _keys(fake_gcloud, "--apply")
    assert rotated_run.returncode == 0, rotated_run.stderr
    rotated = parse_keyring(_added(fake_gcloud)[-1].decode())
    assert rotated.previous == (before.current,)
    assert rotated.keys[before.current] == before.keys[before.current]
    assert "make reencrypt ENV=dev" in rotated_run.stdout
    _never_shown(rotated_run, *rotated.keys.values())
    assert ["secrets", "versions", "access", "latest", f"--secret={TOKEN_KEY}", "--project=carpulse-dev"] in [
        c.args for c in fake_gcloud.project.calls
    ]

    refused = _keys(fake_gcloud, "--apply")  # the previous key may still be in use
    assert refused.returncode == 1
    assert "reencrypt" in refused.stderr
    assert len(_added(fake_gcloud)) == 1

    retired_run = _keys(fake_gcloud, "--retire-previous", "--apply")
    assert retired_run.returncode == 0, retired_run.stderr
    retired = parse_keyring(_added(fake_gcloud)[-1].decode())
    assert (retired.current, retired.previous) == (rotated.current, ())
    assert _keys(fake_gcloud, "--apply").returncode == 0  # and the next rotation may come


def test_a_bare_key_of_before_keyrings_becomes_the_previous_key(fake_gcloud):
    from carpulse.crypto import new_encryption_key

    bare = new_encryption_key()
    fake_gcloud.project.secret_values[TOKEN_KEY] = bare.encode()
    assert _keys(fake_gcloud, "--apply").returncode == 0
    rotated = parse_keyring(_added(fake_gcloud)[-1].decode())
    assert rotated.keys[rotated.previous[0]] == bare


def test_a_dry_run_reads_and_adds_nothing(fake_gcloud):
    fake_gcloud.project.secret_values[TOKEN_KEY] = first_keyring().to_secret().encode()
    run = _keys(fake_gcloud)
    assert run.returncode == 0, run.stderr
    assert fake_gcloud.calls() == []
    assert "gcloud secrets versions access latest" in run.stdout
