"""Generate one key and store it as a new secret version, one named key at a time.

    python -m infra.deploy.keys --env dev --key tesla-private-key            # show what would be done
    python -m infra.deploy.keys --env dev --key tesla-private-key --apply    # add the secret version
    python -m infra.deploy.keys --env dev --key token-encryption-key --apply
    python -m infra.deploy.keys --env dev --key token-encryption-key --retire-previous --apply

Secret values go to `gcloud secrets versions add --data-file=-` through stdin: they are never
printed, written to disk or put on a command line. The token key is a keyring (carpulse.keyring):
a rotation reads the current one (`versions access`, captured, never shown), adds a new current key
and keeps the previous one, so stored tokens still open; `make reencrypt` then moves every account
to the new key and `--retire-previous` drops the old one. A rotation is refused while a previous
key is still kept (it may still be in use). A first run makes a keyring of one key.

A new partner key also writes its public half to infra/envs/<env>.public-key.pem: public,
committed, and served by the public_key function as configuration (PUBLIC_KEY_PEM) byte for byte,
so that function reads no secret at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carpulse.errors import ConfigError
from carpulse.keyring import first_keyring, parse_keyring
from carpulse.partner_key import new_private_key_pem, public_key_pem
from infra.deploy.environment import ENV_NAMES, ENVS_DIR, EnvFileError, Environment, load, read_env_file
from infra.deploy.gcloud import CommandFailedError, Gcloud
from infra.functions import PRIVATE_KEY, TOKEN_KEY

KEYS = (PRIVATE_KEY, TOKEN_KEY)


def env_of_project(project: str) -> str:
    """The environment whose GCP_PROJECT is `project` (for the older PROJECT= form)."""
    for name in ENV_NAMES:
        if read_env_file(ENVS_DIR / f"{name}.yaml").get("GCP_PROJECT") == project:
            return name
    raise SystemExit(f"no environment in infra/envs has GCP_PROJECT: {project}")


def token_keyring(env: Environment, gcloud: Gcloud, *, retire: bool) -> str:
    """The next value of the token keyring: rotated (or of one key, the first time), or retired."""
    command = ("secrets", "versions", "access", "latest", f"--secret={TOKEN_KEY}", f"--project={env.project}")
    stored = gcloud.probe(command)  # the output is captured, never printed
    if gcloud.dry_run:
        gcloud.note(f"reads the keyring, then {'drops its previous key' if retire else 'adds a new current key'}")
        return first_keyring().to_secret()
    if stored is None:
        if retire:
            raise EnvFileError(f"{TOKEN_KEY} has no version: nothing to retire")
        gcloud.note(f"{TOKEN_KEY} has no version yet: a keyring of one key")
        return first_keyring().to_secret()
    keyring = parse_keyring(stored)
    if retire:
        if not keyring.previous:
            raise EnvFileError(f"{TOKEN_KEY} holds only its current key {keyring.current}: nothing to retire")
        gcloud.note(f"drops {', '.join(keyring.previous)}; {keyring.current} stays current")
        return keyring.retired().to_secret()
    rotated = keyring.rotated()
    gcloud.note(f"new current key {rotated.current}; {keyring.current} kept as the previous key")
    return rotated.to_secret()


def rotate(env_name: str, key: str, *, apply: bool, keys_dir: Path, gcloud: Gcloud, retire: bool = False) -> None:
    """Generate `key` (or retire the token keyring's previous key), add it as the secret's new
    version (when applying), keep the public half of a partner key."""
    env = load(env_name, keys_dir)
    if retire and key != TOKEN_KEY:
        raise EnvFileError("only the token-encryption-key keyring has a previous key to retire")
    value = new_private_key_pem() if key == PRIVATE_KEY else token_keyring(env, gcloud, retire=retire)
    gcloud.note(f"new value of {key} on stdin{'' if apply else ' (not applied: add --apply)'}")
    gcloud.run(("secrets", "versions", "add", key, f"--project={env.project}", "--data-file=-"), stdin=value.encode())
    if key == PRIVATE_KEY:
        public = public_key_pem(value)
        if apply:
            env.public_key_file.write_text(public)
            gcloud.note(f"wrote {env.public_key_file}: commit it, then `make deploy ENV={env.name}` serves it")
        print(public, end="")
        gcloud.note("then register the domain again: make register-partner REGION=all ENV=" + env.name)
    elif retire:
        gcloud.note("tokens sealed under the retired key no longer open: run it only after `make reencrypt` left 0")
    else:
        gcloud.note(
            f"instances seal with the new key within TOKEN_KEYRING_REFRESH_SECONDS; then: make reencrypt ENV={env.name}"
        )


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", choices=ENV_NAMES)
    target.add_argument("--project", help="the environment by its project (older form)")
    parser.add_argument("--key", required=True, choices=KEYS, help="the one key to generate")
    parser.add_argument("--apply", action="store_true", help="really add the secret version")
    parser.add_argument(
        "--retire-previous", action="store_true", help="token keyring: drop the previous key (after make reencrypt)"
    )
    parser.add_argument("--keys-dir", type=Path, default=ENVS_DIR, help="where <env>.public-key.pem goes")
    args = parser.parse_args(argv)
    env_name = args.env or env_of_project(args.project)
    try:
        rotate(
            env_name,
            args.key,
            apply=args.apply,
            keys_dir=args.keys_dir,
            gcloud=Gcloud(dry_run=not args.apply),
            retire=args.retire_previous,
        )
    except (CommandFailedError, EnvFileError, ConfigError) as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
