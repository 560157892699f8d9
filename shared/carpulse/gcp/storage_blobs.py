"""Cloud Storage adapter of the BlobStore port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import cached_property
from typing import Protocol

import google.auth
import google.auth.transport.requests
from google.api_core.exceptions import NotFound
from google.auth.credentials import Credentials
from google.auth.transport import Request

BATCH_DELETE = 100  # objects per batch request (Cloud Storage takes up to 100 calls in one batch)


# google-cloud-storage has no type information: what this adapter uses of its Client, Bucket and
# Blob, declared here (a storage.Client is a StorageClient).
class StorageBlob(Protocol):
    """The calls made on a google.cloud.storage Blob."""

    @property
    def name(self) -> str: ...

    def upload_from_string(self, data: bytes, /, *, content_type: str) -> object: ...

    def download_as_bytes(self) -> bytes: ...

    def generate_signed_url(self, **options: object) -> str: ...


class StorageBucket(Protocol):
    """The calls made on a google.cloud.storage Bucket."""

    def blob(self, blob_name: str, /) -> StorageBlob: ...

    def delete_blob(self, blob_name: str, /) -> object: ...


class StorageClient(Protocol):
    """The calls made on a google.cloud.storage Client."""

    def bucket(self, bucket_name: str, /) -> StorageBucket: ...

    def list_blobs(self, bucket: StorageBucket, /, *, prefix: str) -> Iterable[StorageBlob]: ...

    def batch(self, *, raise_exception: bool) -> AbstractContextManager[object]: ...


class SigningCredentials(Protocol):
    """What signing a URL reads of the function's credentials (google-auth leaves refresh untyped)."""

    @property
    def valid(self) -> bool: ...

    @property
    def token(self) -> str | None: ...

    def refresh(self, request: Request, /) -> None: ...


class GcsBlobStore:
    """One private bucket. Signed URLs are V4; in the cloud they are signed through IAM signBlob
    with the function's service account, locally with a throw-away key the emulator ignores."""

    def __init__(
        self,
        client: StorageClient,
        bucket: str,
        *,
        signing_service_account: str = "",
        emulator_host: str = "",
    ) -> None:
        self._client = client
        self._bucket = client.bucket(bucket)
        self._signing_sa = signing_service_account
        self._emulator_host = emulator_host
        self._signing: SigningCredentials | None = None
        self._signing_lock = threading.Lock()

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Write an object (deterministic names make repeats harmless)."""
        self._bucket.blob(name).upload_from_string(data, content_type=content_type)

    def get(self, name: str) -> bytes | None:
        """Read an object, or None."""
        try:
            return self._bucket.blob(name).download_as_bytes()
        except NotFound:
            return None

    def signed_url(self, name: str, ttl_seconds: int, download_name: str | None = None) -> str:
        """A V4 signed GET URL valid for ttl_seconds."""
        blob = self._bucket.blob(name)
        kwargs: dict[str, object] = {
            "version": "v4",
            "expiration": timedelta(seconds=ttl_seconds),
            "method": "GET",
        }
        if download_name:
            kwargs["response_disposition"] = f'attachment; filename="{download_name}"'
        if self._emulator_host:
            kwargs["credentials"] = self._local_signer
            kwargs["api_access_endpoint"] = self._emulator_host
        else:
            credentials = self._signing_credentials()
            kwargs["service_account_email"] = self._signing_sa or getattr(credentials, "service_account_email", None)
            kwargs["access_token"] = credentials.token
        return blob.generate_signed_url(**kwargs)

    def _signing_credentials(self) -> SigningCredentials:
        """The function's credentials, refreshed only when their token is about to expire (a status
        poll signs a URL per VIN: one token fetch per hour, not one per URL)."""
        with self._signing_lock:
            if self._signing is None:
                self._signing, _ = google.auth.default()
            if not self._signing.valid:
                self._signing.refresh(google.auth.transport.requests.Request())
            return self._signing

    def names(self, prefix: str) -> list[str]:
        """The names of the objects under a prefix."""
        return [blob.name for blob in self._client.list_blobs(self._bucket, prefix=prefix)]

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a prefix, in batches (one request per BATCH_DELETE objects)."""
        count = 0
        names = self.names(prefix)
        for start in range(0, len(names), BATCH_DELETE):
            # Not found is fine: a concurrent delete of the same prefix got there first.
            with self._client.batch(raise_exception=False):
                for name in names[start : start + BATCH_DELETE]:
                    self._bucket.delete_blob(name)
            count += len(names[start : start + BATCH_DELETE])
        return count

    @cached_property
    def _local_signer(self) -> Credentials:
        # The storage emulator does not verify signatures; a per-process key keeps the URL shape real.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from google.oauth2 import service_account

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        # google-auth leaves the factory unannotated; this is its documented signature.
        from_info: Callable[[Mapping[str, str]], Credentials] = service_account.Credentials.from_service_account_info
        return from_info(
            {
                "type": "service_account",
                "client_email": "local-signer@carpulse-local.iam.gserviceaccount.com",
                "private_key": pem,
                "token_uri": "http://127.0.0.1/unused",
            }
        )
