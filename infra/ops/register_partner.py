"""`make register-partner REGION=na|eu|cn|all DOMAIN=… [ENV=dev | ENV_FILE=…]`

Registers our partner domain with Tesla in one region or all of them, after checking that the
public key served at the domain's well-known URL is the one derived from our private key; then
asks Tesla which key it holds. Against the local stack: ENV_FILE=.local/stack.env (make dev).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carpulse.bootstrap import Container
from carpulse.config import settings_from_env
from carpulse.services.partner import PartnerRegistration


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE (stack.env) or KEY: value (infra/envs/*.yaml) lines."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        sep = "=" if "=" in line and (":" not in line or line.index("=") < line.index(":")) else ":"
        key, _, value = line.partition(sep)
        values[key.strip()] = value.strip().strip('"')
    return values


def main() -> int:
    """CLI entry point; exit 1 unless every region is registered with our key."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", required=True, choices=("na", "eu", "cn", "all"))
    parser.add_argument("--domain", help="partner domain (default: PARTNER_DOMAIN, else the redirect URI's host)")
    parser.add_argument("--env-file", type=Path, required=True)
    args = parser.parse_args()
    values = read_env_file(args.env_file)
    settings = settings_from_env(values)
    app = Container(settings)
    domain = args.domain or settings.registered_domain
    registration = PartnerRegistration(
        settings,
        app.tesla_auth,
        lambda: app.secrets.get(settings.tesla_private_key_name),
        lambda base, tokens: app.fleet(base, tokens),
        app.http,
    )
    report = registration.run(domain, args.region)
    print(
        f"domain {report.domain}: served public key {'matches ours' if report.served_key_matches else 'DOES NOT match'}"
        + (f" ({report.served_key_problem})" if report.served_key_problem else "")
    )
    for result in report.regions:
        print(f"  {result.region}: {result.message}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
