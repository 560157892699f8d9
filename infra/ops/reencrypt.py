"""Move every account's stored tokens to the current token key, after a rotation:

    make keys ENV=prd KEY=token-encryption-key APPLY=1      # new current key, the previous one kept
    make reencrypt ENV=prd                                   # after TOKEN_KEYRING_REFRESH_SECONDS
    make keys ENV=prd KEY=token-encryption-key RETIRE=1 APPLY=1   # once this printed "left 0"

Against the local stack: ENV_FILE=.local/stack.env (make dev). Reads the keyring once (never
prints it), refuses to run until every instance has re-read it (FORCE=1 right after a deploy, when
no instance can hold the old ring), and exits 1 while any account is left under another key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.crypto import TokenCipher
from carpulse.errors import CarPulseError
from carpulse.gcp.firestore_rekey import FirestoreTokenRekeyStore
from carpulse.keyring import parse_keyring
from carpulse.services.rekey import TokenRekeyer
from carpulse.services.tokens import TokenVault
from infra.ops.register_partner import read_env_file


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit 0 when every account is under the current key."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-file", type=Path, required=True)
    parser.add_argument("--force", action="store_true", help="do not wait for instances to re-read the keyring")
    args = parser.parse_args(argv)
    settings = settings_from_env(read_env_file(args.env_file))
    app = Container(settings)
    try:
        secret = app.secrets.reread(settings.token_encryption_key_name)
        keyring = parse_keyring(secret)
        rekeyer = TokenRekeyer(
            FirestoreTokenRekeyStore(app.firestore),
            TokenVault(cipher=TokenCipher(secret)),
            keyring,
            app.clock,
            refresh_seconds=settings.token_keyring_refresh_seconds,
        )
        report = rekeyer.run(force=args.force)
    except CarPulseError as exc:
        print(f"stopped: {exc.description}", file=sys.stderr)
        return 1
    print(
        f"current key {report.current_key}: {report.accounts} accounts, {report.moved} moved, "
        f"{report.already_current} already current, {len(report.unreadable)} unreadable, left {report.left}"
    )
    for account_id in report.unreadable:
        print(f"  unreadable: {account_id} (no key of the ring opens its tokens: the owner connects again)")
    if report.left == 0 and keyring.previous:
        name = args.env_file.stem if args.env_file.suffix == ".yaml" else "…"
        print(
            f"previous key {', '.join(keyring.previous)} no longer used: "
            f"make keys ENV={name} KEY={settings.token_encryption_key_name} RETIRE=1 APPLY=1"
        )
    return 0 if report.left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
