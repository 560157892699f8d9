"""The Cloud Storage adapter's request economy: batched deletes, one credential refresh per token."""

from contextlib import contextmanager
from dataclasses import dataclass, field

import google.auth
import google.auth.transport.requests

from carpulse.gcp.storage_blobs import GcsBlobStore


@dataclass
class Blob:
    name: str
    signed: list = field(default_factory=list)

    def generate_signed_url(self, **kwargs):
        self.signed.append(kwargs)
        return f"https://signed/{self.name}?token={kwargs.get('access_token')}"


@dataclass
class Bucket:
    client: "Client"

    def blob(self, name):
        return Blob(name)

    def delete_blob(self, name):
        self.client.deleted.append((self.client.batch_no, name))


@dataclass
class Client:
    names: list
    deleted: list = field(default_factory=list)
    batch_no: int = 0
    batches: int = 0

    def bucket(self, name):
        return Bucket(self)

    def list_blobs(self, bucket, prefix):
        return [Blob(n) for n in self.names if n.startswith(prefix)]

    @contextmanager
    def batch(self, raise_exception=True):
        self.batches += 1
        self.batch_no = self.batches
        yield
        self.batch_no = 0


def test_a_prefix_is_deleted_in_batches_of_a_hundred():
    client = Client([f"accounts/a/x{n}" for n in range(250)] + ["accounts/b/y"])
    assert GcsBlobStore(client, "b").delete_prefix("accounts/a/") == 250
    assert client.batches == 3
    assert all(batch for batch, _ in client.deleted)  # no delete outside a batch
    assert [sum(1 for b, _ in client.deleted if b == k) for k in (1, 2, 3)] == [100, 100, 50]


class Credentials:
    def __init__(self):
        self.refreshes = 0
        self.valid = False
        self.token = None
        self.service_account_email = "fn@p.iam.gserviceaccount.com"

    def refresh(self, request):
        self.refreshes += 1
        self.valid, self.token = True, f"t{self.refreshes}"


def test_signing_credentials_are_refreshed_only_when_their_token_expired(monkeypatch):
    credentials = Credentials()
    defaults = []

    def default():
        defaults.append(1)
        return credentials, "p"

    monkeypatch.setattr(google.auth, "default", default)
    monkeypatch.setattr(google.auth.transport.requests, "Request", lambda: None)
    store = GcsBlobStore(Client([]), "b")
    urls = [store.signed_url(f"o{n}", 3600) for n in range(5)]
    assert credentials.refreshes == 1
    assert len(defaults) == 1
    credentials.valid = False  # the hour is over
    urls.append(store.signed_url("o5", 3600))
    assert credentials.refreshes == 2
    assert urls[0].endswith("token=t1")
    assert urls[-1].endswith("token=t2")
