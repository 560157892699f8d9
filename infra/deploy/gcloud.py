"""The one way the deploy tooling runs gcloud: every command printed, the first failure stops all.

A plan is a list of steps. `Apply` runs an idempotent command (enable, add a binding, deploy,
import). `Ensure` describes a resource and creates it when absent, else converges it (update), so a
re-run after any failure picks up where the last one stopped. `Require` is a precondition of a
phase: the describe must find the resource, else the phase refuses to start. With dry_run nothing
runs: the plan of a first run is printed, describes included (and each update as a comment).
No secret value ever passes through here: commands carry names, values go through stdin elsewhere.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

Cmd = tuple[str, ...]
# How gcloud says a describe found nothing (services word it differently; 404 is common to all).
_NOT_FOUND = re.compile(r"NOT_FOUND|not found|does not exist|\b404\b", re.IGNORECASE)
# IAM needs up to a minute (rarely more) before a new service account can be named in a binding.
_NOT_YET_VISIBLE = re.compile(r"does not exist|Unknown service account", re.IGNORECASE)


class CommandFailedError(Exception):
    """A gcloud command exited non-zero."""

    def __init__(self, command: Cmd, returncode: int) -> None:
        super().__init__(f"failed (exit {returncode}): {shlex.join(['gcloud', *command])}")
        self.returncode = returncode


class PreconditionError(Exception):
    """A phase was started before the one it builds on completed."""


@dataclass(frozen=True, kw_only=True)
class Apply:
    """An idempotent command, run every time."""

    what: str
    command: Cmd
    settle: bool = False  # names a service account that may be minutes old: wait for IAM to see it


@dataclass(frozen=True, kw_only=True)
class Ensure:
    """A resource: probe it, create it when absent (or not as wanted), else converge it."""

    what: str
    probe: Cmd
    create: tuple[Cmd, ...]
    update: tuple[Cmd, ...] = ()
    wanted: str | None = None  # a value the probe's output must hold (see `holds`)


@dataclass(frozen=True, kw_only=True)
class Require:
    """A precondition: the probe must find the resource (holding `wanted`), else refuse."""

    what: str
    probe: Cmd
    hint: str
    wanted: str | None = None


Step = Apply | Ensure | Require


def holds(output: str, wanted: str | None) -> bool:
    """True when a describe's `--format=value(...)` output has `wanted` as one of its values.

    A value matches exactly or as the last segment of a resource URL (backends are listed as
    self-links), so "5" does not match "15".
    """
    if wanted is None:
        return True
    values = re.split(r"[\s;,]+", output.strip())
    return any(value == wanted or value.endswith("/" + wanted) for value in values)


@dataclass(kw_only=True)
class Gcloud:
    """Runs (or, dry, prints) gcloud commands; prompts are disabled, so nothing waits for a human."""

    dry_run: bool
    out: TextIO = field(default_factory=lambda: sys.stdout)
    executable: str = "gcloud"
    settle_tries: int = 8
    settle_seconds: float = field(default_factory=lambda: float(os.environ.get("DEPLOY_SETTLE_SECONDS", "15")))

    def note(self, text: str) -> None:
        """Comment lines in the log."""
        for line in text.splitlines():
            print(f"# {line}", file=self.out, flush=True)

    def _show(self, command: Cmd, prefix: str = "") -> None:
        print(prefix + shlex.join(["gcloud", *command]), file=self.out, flush=True)

    def _env(self) -> dict[str, str]:
        return {**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}

    def run(self, command: Cmd, *, stdin: bytes | None = None) -> None:
        """Run one command; raise CommandFailedError when it fails."""
        self._show(command)
        if self.dry_run:
            return
        self.out.flush()
        # Nothing may wait on our stdin: a value (a secret) goes in only when given.
        stdin_args = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        result = subprocess.run([self.executable, *command], env=self._env(), check=False, **stdin_args)
        if result.returncode != 0:
            raise CommandFailedError(command, result.returncode)

    def run_settling(self, command: Cmd) -> None:
        """Run a binding; while IAM does not see a new account yet, wait and try again (bounded)."""
        self._show(command)
        if self.dry_run:
            return
        for attempt in range(1, self.settle_tries + 1):
            result = subprocess.run(
                [self.executable, *command],
                stdin=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=self._env(),
                check=False,
            )
            if result.returncode == 0:
                return
            if attempt == self.settle_tries or not _NOT_YET_VISIBLE.search(result.stderr):
                sys.stderr.write(result.stderr)
                raise CommandFailedError(command, result.returncode)
            self.note(
                f"IAM does not see the account yet ({attempt}/{self.settle_tries}): again in {self.settle_seconds:g} s"
            )
            time.sleep(self.settle_seconds)

    def probe(self, command: Cmd) -> str | None:
        """The output of a describe, or None when the resource does not exist (always None dry)."""
        self._show(command)
        if self.dry_run:
            return None
        result = subprocess.run(
            [self.executable, *command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self._env(),
            check=False,
        )
        if result.returncode == 0:
            return result.stdout
        if _NOT_FOUND.search(result.stderr):
            return None
        sys.stderr.write(result.stderr)
        raise CommandFailedError(command, result.returncode)

    def read(self, command: Cmd) -> str:
        """The output of a read-only command that must succeed (verify-env); runs even when dry."""
        self._show(command)
        result = subprocess.run(
            [self.executable, *command],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=self._env(),
            check=False,
        )
        if result.returncode != 0:
            sys.stderr.write(result.stderr)
            raise CommandFailedError(command, result.returncode)
        return result.stdout


def execute(steps: Iterable[Step], gcloud: Gcloud) -> None:
    """Run the steps in order; the first failing command or unmet precondition stops the plan."""
    for step in steps:
        gcloud.note(f"check: {step.what}" if isinstance(step, Require) else step.what)
        if isinstance(step, Apply):
            (gcloud.run_settling if step.settle else gcloud.run)(step.command)
        elif isinstance(step, Ensure):
            found = gcloud.probe(step.probe)
            present = found is not None and holds(found, step.wanted)
            for command in step.update if present else step.create:
                gcloud.run(command)
            if gcloud.dry_run:
                for command in step.update:
                    gcloud._show(command, prefix="#   when it exists: ")
        else:
            found = gcloud.probe(step.probe)
            if not gcloud.dry_run and (found is None or not holds(found, step.wanted)):
                raise PreconditionError(f"not ready: {step.what}. {step.hint}")
