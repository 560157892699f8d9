"""Ops commands for the report CA and the report-signing certificate (docs/report-ca.md).

    python -m infra.deploy.report_keys new-ca --out DIR
        a new report CA: DIR/report-ca.pem (public) and DIR/report-ca.key.pem (encrypted with
        $REPORT_CA_PASSPHRASE, mode 0600). Keep DIR offline: no function ever needs the CA key.
    python -m infra.deploy.report_keys publish-ca --env dev --ca-dir DIR [--apply]
        the CA bundle (this CA first, every earlier one after it) as a new version of the
        report-ca-certs secret, and docs/report-ca/<env>.pem (commit it: the published copy).
    python -m infra.deploy.report_keys sign-cert --env dev --ca-dir DIR --key-version NAME [--apply]
        a signing certificate for a KMS key version (its public key read with gcloud), added as a
        new version of the report-signing secret: {"certificate": PEM, "kms_key_version": NAME}.

Rotation: create a key version in KMS, run sign-cert for it; new instances sign with it, reports
signed with older versions keep validating (their certificates are in the PDFs, under the same CA).
Without --apply nothing is run or written. No private key is ever printed or passed to gcloud.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from carpulse.signing import certs
from infra.deploy.environment import ENV_NAMES, EnvFileError, load
from infra.deploy.gcloud import CommandFailedError, Gcloud

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs" / "report-ca"
CA_CERT, CA_KEY = "report-ca.pem", "report-ca.key.pem"
SIGNING_SECRET, CA_SECRET = "report-signing", "report-ca-certs"
PASSPHRASE_VARIABLE = "REPORT_CA_PASSPHRASE"
_VERSION = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/(?P<ring>[^/]+)"
    r"/cryptoKeys/(?P<key>[^/]+)/cryptoKeyVersions/(?P<version>[0-9]+)$"
)


def _passphrase() -> bytes:
    value = os.environ.get(PASSPHRASE_VARIABLE, "")
    if len(value) < 16:
        raise SystemExit(f"set {PASSPHRASE_VARIABLE} (16+ characters): it encrypts the CA key at rest")
    return value.encode()


def new_ca(out: Path) -> certs.Authority:
    """Write a fresh CA into `out`; its key encrypted with the passphrase."""
    out.mkdir(parents=True, exist_ok=True)
    if (out / CA_KEY).exists():
        raise SystemExit(f"{out / CA_KEY} exists: a CA is made once; rotate signing keys instead")
    authority = certs.new_authority()
    key_pem = authority.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )
    descriptor = os.open(out / CA_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    (out / CA_CERT).write_text(certs.certificate_pem(authority.certificate))
    return authority


def load_ca(ca_dir: Path) -> certs.Authority:
    """The CA of `ca_dir` (its key decrypted with the passphrase)."""
    certificate = x509.load_pem_x509_certificate((ca_dir / CA_CERT).read_bytes())
    key = serialization.load_pem_private_key((ca_dir / CA_KEY).read_bytes(), password=_passphrase())
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SystemExit("the report CA key must be an EC key")
    return certs.Authority(certificate=certificate, private_key=key)


def bundle(new: x509.Certificate, published: Path) -> str:
    """The new CA first, then every CA published before (older reports chain to those)."""
    older = certs.load_certificates(published.read_text()) if published.is_file() else []
    fingerprint = new.fingerprint(hashes.SHA256())
    kept = [new, *(c for c in older if c.fingerprint(hashes.SHA256()) != fingerprint)]
    return "".join(certs.certificate_pem(c) for c in kept)


def publish_ca(env_name: str, ca_dir: Path, docs_dir: Path, *, apply: bool, gcloud: Gcloud) -> None:
    """Add the CA bundle as a secret version and write its published copy."""
    env = load(env_name)
    certificate = x509.load_pem_x509_certificate((ca_dir / CA_CERT).read_bytes())
    published = docs_dir / f"{env.name}.pem"
    pem = bundle(certificate, published)
    gcloud.note(f"{CA_SECRET}: {pem.count('BEGIN CERTIFICATE')} CA certificate(s), the new one first")
    gcloud.run(
        ("secrets", "versions", "add", CA_SECRET, f"--project={env.project}", "--data-file=-"), stdin=pem.encode()
    )
    if apply:
        docs_dir.mkdir(parents=True, exist_ok=True)
        published.write_text(pem)
        gcloud.note(f"wrote {published}: commit it (the CA's published copy)")


def sign_cert(env_name: str, ca_dir: Path, key_version: str, *, apply: bool, gcloud: Gcloud) -> None:
    """Certify a KMS key version with our CA and make it the signing identity (a secret version)."""
    env = load(env_name)
    parts = _VERSION.match(key_version)
    if parts is None or parts["project"] != env.project:
        raise SystemExit(f"--key-version must be a cryptoKeyVersion of project {env.project}")
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "public.pem"
        gcloud.run(
            (
                "kms",
                "keys",
                "versions",
                "get-public-key",
                parts["version"],
                f"--key={parts['key']}",
                f"--keyring={parts['ring']}",
                f"--location={parts['location']}",
                f"--project={env.project}",
                f"--output-file={target}",
            )
        )
        if not apply:
            gcloud.note("then: a certificate from the CA for that public key, as a new version of " + SIGNING_SECRET)
            return
        public_pem = target.read_text()
    certificate = certs.issue_signing_certificate(load_ca(ca_dir), public_pem, f"{env.name} v{parts['version']}")
    identity = json.dumps({"certificate": certs.certificate_pem(certificate), "kms_key_version": key_version})
    gcloud.run(
        ("secrets", "versions", "add", SIGNING_SECRET, f"--project={env.project}", "--data-file=-"),
        stdin=identity.encode(),
    )
    gcloud.note(f"signing key id {certs.key_id(certificate)}; new function instances sign with it")
    print(certs.certificate_pem(certificate), end="")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("new-ca", help="create the report CA (once)")
    made.add_argument("--out", type=Path, required=True)
    for name in ("publish-ca", "sign-cert"):
        sub = commands.add_parser(name)
        sub.add_argument("--env", choices=ENV_NAMES, required=True)
        sub.add_argument("--ca-dir", type=Path, required=True)
        sub.add_argument("--apply", action="store_true", help="really run and write")
    commands.choices["publish-ca"].add_argument("--docs-dir", type=Path, default=DOCS_DIR)
    commands.choices["sign-cert"].add_argument("--key-version", required=True, help="projects/…/cryptoKeyVersions/N")
    args = parser.parse_args(argv)
    if args.command == "new-ca":
        authority = new_ca(args.out)
        print(f"report CA in {args.out}; SHA-256 {authority.certificate.fingerprint(hashes.SHA256()).hex()}")
        return 0
    gcloud = Gcloud(dry_run=not args.apply)
    try:
        if args.command == "publish-ca":
            publish_ca(args.env, args.ca_dir, args.docs_dir, apply=args.apply, gcloud=gcloud)
        else:
            sign_cert(args.env, args.ca_dir, args.key_version, apply=args.apply, gcloud=gcloud)
    except (CommandFailedError, EnvFileError) as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
