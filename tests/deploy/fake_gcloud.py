"""A stand-in for `gcloud`: a shell script on PATH that hands each call to a fake project.

The fake project lives in the test process (a loopback TCP server), so its state survives across
runs of the tooling: a describe answers "exists" for whatever an earlier call created, a create of
something that exists fails with ALREADY_EXISTS (as gcloud does), an update of something missing
fails with NOT_FOUND. `fail_at = N` makes the N-th call fail (exit 1). `outputs` are what a
describe, list or get-iam-policy prints, by `group|verb|name` or `group|name` (tests seed them).
The shim is bash (a Python process per call would make every run seconds slower).
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
from dataclasses import dataclass, field
from pathlib import Path

VERBS = {
    "describe",
    "list",
    "create",
    "update",
    "deploy",
    "import",
    "enable",
    "disable",
    "add",
    "add-backend",
    "add-iam-policy-binding",
    "add-invoker-policy-binding",
    "set-iam-policy",
    "get-iam-policy",
    "access",
}
UPSERTS = {"deploy", "import", "enable"}  # create or replace, like gcloud
NO_RESOURCE = {"projects", "services"}  # project bindings, API enablement: always fine
ADDRESS = "203.0.113.7"
SHIM = """#!/bin/bash
# Fake gcloud: every call goes to the fake project of the test that wrote this file (bash builtins
# only: no process per call but this one).
IFS= read -r -d '' input
exec 3<>/dev/tcp/127.0.0.1/{port}
printf '%s\\0' "$#" "$@" "$input" >&3
IFS= read -r -d '' code <&3
IFS= read -r -d '' out <&3
IFS= read -r -d '' err <&3
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$code"
"""


def parse(args: list[str]) -> tuple[str, str, str, dict[str, str]]:
    """(group, verb, name, flags) of a gcloud command line."""
    flags: dict[str, str] = {}
    positionals: list[str] = []
    for arg in args:
        if arg.startswith("--field-config="):  # repeated: one per field of a composite index
            path = arg.partition("field-path=")[2].split(",")[0]
            flags["field-paths"] = ",".join(filter(None, [flags.get("field-paths", ""), path]))
        elif arg.startswith("--"):
            key, _, value = arg.partition("=")
            flags[key] = value
        else:
            positionals.append(arg)
    index = next(i for i, word in enumerate(positionals) if word in VERBS)
    group, verb, rest = positionals[:index], positionals[index], positionals[index + 1 :]
    if group == ["scheduler", "jobs"] and rest[:1] == ["http"]:
        rest = rest[1:]
    name = rest[0] if rest else flags.get("--database", "")
    if group == ["iam", "service-accounts"]:
        name = name.split("@")[0]
    elif group == ["firestore", "fields", "ttls"]:
        flags["ttl-field"] = name if verb == "update" else ""
        name = flags.get("--collection-group", "")
    elif group == ["firestore", "indexes", "composite"]:
        name = f"{flags.get('--collection-group', '')}({flags.get('field-paths', '')})" if verb == "create" else ""
    elif group == ["secrets", "versions"] and verb in ("describe", "access"):
        name = flags.get("--secret", "")
    return " ".join(group), verb, name, flags


@dataclass
class Call:
    """One recorded call."""

    args: list[str]
    stdin: bytes


@dataclass
class FakeProject:
    """What the fake gcloud knows: resources by key (`group|name`), seeded outputs, every call."""

    resources: dict[str, dict[str, object]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    fail_at: int | None = None
    # "group verb" → how many more calls answer as IAM does before it sees a new service account.
    flaky: dict[str, int] = field(default_factory=dict)
    secret_values: dict[str, bytes] = field(default_factory=dict)  # latest version added, by secret
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, args: list[str], stdin: bytes) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of one call."""
        with self.lock:
            self.calls.append(Call(args=args, stdin=stdin))
            if self.fail_at == len(self.calls):
                return 1, "", f"ERROR: (gcloud) injected failure at call {len(self.calls)}\n"
            group, verb, name, flags = parse(args)
            if self.flaky.get(f"{group} {verb}", 0) > 0:
                self.flaky[f"{group} {verb}"] -= 1
                member = flags.get("--member", "an account")
                return 1, "", f"ERROR: (gcloud) INVALID_ARGUMENT: Service account {member} does not exist.\n"
            return self._answer(group, verb, name, flags, stdin)

    def _answer(
        self, group: str, verb: str, name: str, flags: dict[str, str], stdin: bytes = b""
    ) -> tuple[int, str, str]:
        key = f"{group}|{name}"
        found = self.resources.get(key)
        if group == "secrets versions" and verb == "access":  # the latest value added (`versions add`)
            value = self.secret_values.get(name)
            return (0, value.decode(), "") if value is not None else (1, "", f"ERROR: NOT_FOUND: {name}\n")
        if group.split()[0] in NO_RESOURCE:
            return 0, "", ""
        if group == "firestore indexes composite" and verb == "list" and "--filter" in flags:
            return 0, _composite_indexes(self.resources, flags["--filter"]), ""
        if verb in ("describe", "list", "get-iam-policy"):
            for seeded in (f"{group}|{verb}|{name}", key):
                if seeded in self.outputs:
                    return 0, self.outputs[seeded] + "\n", ""
            if found is None:
                if verb == "list":
                    return 0, "", ""
                return 1, "", f"ERROR: (gcloud.{group.replace(' ', '.')}.{verb}) NOT_FOUND: {name} was not found\n"
            fmt = flags.get("--format", "")
            return 0, (_value(found, fmt[6:-1], name) if fmt.startswith("value(") else json.dumps(found)) + "\n", ""
        if verb == "create" and found is not None:
            return 1, "", f"ERROR: (gcloud) ALREADY_EXISTS: {name} already exists\n"
        upsert = verb in UPSERTS or verb in ("create", "add") or group == "firestore fields ttls"
        if found is None and not upsert:
            return 1, "", f"ERROR: (gcloud) NOT_FOUND: {name} was not found\n"
        fields = self.resources.setdefault(key, {})
        if verb == "add-backend":
            backends = fields.setdefault("backends", [])
            assert isinstance(backends, list)
            backends.append(flags["--network-endpoint-group"])
        else:
            fields.update({k: v for k, v in flags.items() if k != "--project"})
        if verb == "deploy":
            fields["state"] = "ACTIVE"
        if group == "secrets versions":
            fields["state"] = "ENABLED"
            if verb == "add":
                self.secret_values[name] = stdin
        return 0, "", ""


def _composite_indexes(resources: dict[str, dict[str, object]], query: str) -> str:
    """`indexes composite list --filter=fields.fieldPath:a AND … --format=value(name.segment(-3))`:
    the collection group of each index that has every field the filter names."""
    wanted = re.findall(r"fields\.fieldPath:(\w+)", query)
    groups = [
        str(fields["--collection-group"])
        for key, fields in resources.items()
        if key.startswith("firestore indexes composite|")
        and all(path in str(fields.get("field-paths", "")).split(",") for path in wanted)
    ]
    return "".join(f"{group}\n" for group in groups)


def _value(fields: dict[str, object], name_of_field: str, name: str) -> str:
    """What `--format=value(field)` prints for a stored resource."""
    if name_of_field == "retryConfig.maxAttempts":
        return str(fields.get("--max-attempts", ""))
    if name_of_field == "backends[].group":
        backends = fields.get("backends", [])
        assert isinstance(backends, list)
        return ";".join(f"https://compute/networkEndpointGroups/{neg}" for neg in backends)
    if name_of_field == "address":
        return ADDRESS
    if name_of_field == "state":
        return str(fields.get("state", ""))
    if name_of_field == "name" and "--enable-ttl" in fields:
        return f"projects/p/databases/(default)/collectionGroups/{name}/fields/{fields['ttl-field']}"
    return name


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        project: FakeProject = self.server.project  # type: ignore[attr-defined]
        fields = _read_fields(self.rfile)
        count = int(fields[0])
        args, stdin = fields[1 : 1 + count], fields[1 + count].encode()
        code, out, err = project.answer(args, stdin)
        self.wfile.write(b"".join(part.encode() + b"\0" for part in (str(code), out, err)))


def _read_fields(stream) -> list[str]:
    """NUL-terminated fields: the count, that many arguments, then what the call read on stdin."""
    fields: list[bytes] = []
    current = bytearray()
    expected: int | None = None
    while expected is None or len(fields) < expected:
        byte = stream.read(1)
        if not byte:
            break
        if byte != b"\0":
            current += byte
            continue
        fields.append(bytes(current))
        current.clear()
        if expected is None:
            expected = int(fields[0]) + 2
    return [f.decode() for f in fields]


class FakeGcloudServer(socketserver.ThreadingTCPServer):
    """The fake project behind the shim, on a free loopback port."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, project: FakeProject) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.project = project
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self, bin_dir: Path) -> None:
        """Serve, and write the `gcloud` shim into bin_dir."""
        self._thread.start()
        shim = bin_dir / "gcloud"
        shim.write_text(SHIM.format(port=self.server_address[1]))
        shim.chmod(0o755)

    def stop(self) -> None:
        """Stop serving."""
        self.shutdown()
        self.server_close()
