"""Secret sources: Secret Manager in the cloud (and its local stand-in), or the environment."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from google.api_core.exceptions import GoogleAPICallError
from google.cloud import secretmanager

from carpulse.errors import ConfigError


class SecretManagerSource:
    """Reads `projects/P/secrets/NAME/versions/latest`, cached for the life of the instance."""

    def __init__(self, client: secretmanager.SecretManagerServiceClient, project: str) -> None:
        self._client = client
        self._project = project
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        """The latest value of a secret."""
        with self._lock:
            if name in self._cache:
                return self._cache[name]
        return self.reread(name)

    def reread(self, name: str) -> str:
        """The latest value read again (a rotated secret), replacing the cached one."""
        path = f"projects/{self._project}/secrets/{name}/versions/latest"
        try:
            value = self._client.access_secret_version(name=path).payload.data.decode()
        except GoogleAPICallError as exc:
            raise ConfigError(f"secret {name!r} is not readable ({type(exc).__name__})") from exc
        with self._lock:
            self._cache[name] = value
        return value


class EnvSecretSource:
    """Secrets from environment variables named like the secret (dashes → underscores, upper)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def reread(self, name: str) -> str:
        """The same as get: the environment does not change under a running process."""
        return self.get(name)

    def get(self, name: str) -> str:
        """The value of the variable for `name`."""
        key = name.upper().replace("-", "_")
        value = self._environ.get(key)
        if not value:
            raise ConfigError(f"secret {name!r} is not set (expected environment variable {key})")
        return value
