"""The report CA ops commands against the fake gcloud: the CA key stays on disk (encrypted), the
published bundle keeps every earlier CA, and nothing private reaches gcloud or the output."""

from __future__ import annotations

from cryptography import x509

from carpulse.signing import certs

PASSPHRASE = "correct horse battery staple"


def _run(fake_gcloud, monkeypatch, *argv: str):
    monkeypatch.setenv("REPORT_CA_PASSPHRASE", PASSPHRASE)
    return fake_gcloud.run(["-m", "infra.deploy.report_keys", *argv])


def test_a_new_ca_is_written_once_with_its_key_encrypted(fake_gcloud, monkeypatch, tmp_path):
    made = _run(fake_gcloud, monkeypatch, "new-ca", "--out", str(tmp_path / "ca"))
    assert made.returncode == 0, made.stderr
    key = (tmp_path / "ca" / "report-ca.key.pem").read_text()
    assert "ENCRYPTED PRIVATE KEY" in key
    assert (tmp_path / "ca" / "report-ca.key.pem").stat().st_mode & 0o077 == 0
    assert "PRIVATE KEY" not in made.stdout + made.stderr
    again = _run(fake_gcloud, monkeypatch, "new-ca", "--out", str(tmp_path / "ca"))
    assert again.returncode != 0
    assert fake_gcloud.calls() == []


def test_publishing_keeps_earlier_cas_after_the_new_one(fake_gcloud, monkeypatch, tmp_path):
    docs = tmp_path / "docs"
    for name in ("first", "second"):
        assert _run(fake_gcloud, monkeypatch, "new-ca", "--out", str(tmp_path / name)).returncode == 0
        argv = ("publish-ca", "--env", "dev", "--ca-dir", str(tmp_path / name), "--docs-dir", str(docs))
        assert _run(fake_gcloud, monkeypatch, *argv).returncode == 0  # dry: nothing runs
        applied = _run(fake_gcloud, monkeypatch, *argv, "--apply")
        assert applied.returncode == 0, applied.stderr
    first, second = (
        x509.load_pem_x509_certificate((tmp_path / n / "report-ca.pem").read_bytes()) for n in ("first", "second")
    )
    published = certs.load_certificates((docs / "dev.pem").read_text())
    assert published == [second, first]
    calls = [c for c in fake_gcloud.project.calls if c.args[:4] == ["secrets", "versions", "add", "report-ca-certs"]]
    assert len(calls) == 2
    assert certs.load_certificates(calls[-1].stdin.decode()) == [second, first]


def test_a_signing_certificate_is_only_planned_without_apply(fake_gcloud, monkeypatch, tmp_path):
    assert _run(fake_gcloud, monkeypatch, "new-ca", "--out", str(tmp_path / "ca")).returncode == 0
    ring = "projects/carpulse-dev/locations/europe-west1/keyRings/carpulse-reports"
    version = f"{ring}/cryptoKeys/report-signing/cryptoKeyVersions/2"
    planned = _run(
        fake_gcloud,
        monkeypatch,
        "sign-cert",
        "--env",
        "dev",
        "--ca-dir",
        str(tmp_path / "ca"),
        "--key-version",
        version,
    )
    assert planned.returncode == 0, planned.stderr
    assert "gcloud kms keys versions get-public-key 2 --key=report-signing" in planned.stdout
    assert fake_gcloud.calls() == []
    foreign = version.replace("carpulse-dev", "someone-else")
    refused = _run(
        fake_gcloud,
        monkeypatch,
        "sign-cert",
        "--env",
        "dev",
        "--ca-dir",
        str(tmp_path / "ca"),
        "--key-version",
        foreign,
    )
    assert refused.returncode != 0
