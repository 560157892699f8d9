"""Generate the Tesla partner key pair and the token-encryption key, and store them as secrets.

    python -m infra.deploy.keys --project carpulse-dev            # show what would be done
    python -m infra.deploy.keys --project carpulse-dev --apply    # add the secret versions

Secret values go to `gcloud secrets versions add --data-file=-` through stdin: they are never
printed, written to disk or put on a command line. The public key is printed (it is public).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from carpulse.crypto import new_encryption_key
from carpulse.keys import new_private_key_pem, public_key_pem


def main() -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", required=True)
    parser.add_argument("--apply", action="store_true", help="really add the secret versions")
    parser.add_argument("--only", choices=("tesla-private-key", "token-encryption-key"), help="rotate one secret only")
    args = parser.parse_args()
    private_pem = new_private_key_pem()
    secrets = {"tesla-private-key": private_pem, "token-encryption-key": new_encryption_key()}
    if args.only:
        secrets = {args.only: secrets[args.only]}
    for name, value in secrets.items():
        command = ["gcloud", "secrets", "versions", "add", name, f"--project={args.project}", "--data-file=-"]
        if args.apply:
            subprocess.run(command, input=value.encode(), check=True)
        else:
            print("would run:", " ".join(command), "(value on stdin)")
    if "tesla-private-key" in secrets:
        print("public key Tesla will fetch from /.well-known/appspecific/com.tesla.3p.public-key.pem:")
        print(public_key_pem(private_pem))
    if "token-encryption-key" in secrets:
        print("note: a new token-encryption key makes stored tokens unreadable; owners must reconnect.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
