"""gcp-storage-emulator in memory, without re-writing its whole index on every object change.

The emulator serialises the metadata of every object it holds (a JSON "file", in memory too) after
each upload and each delete, so each operation costs time in proportion to everything stored: a
test session's bucket of a few thousand objects made deleting one account's 2,000 objects take
about 100 s. In memory there is nothing to persist and nobody reads that index back (only the
constructor does), so it is skipped; disk mode is unchanged. Cloud Storage itself has no such cost.

Its log lines name every object path (full VINs, URL-encoded in request lines): they pass the
product's redaction like every other log of the stack.
"""

from __future__ import annotations

import sys

from gcp_storage_emulator import __main__ as emulator
from gcp_storage_emulator.storage import Storage

from carpulse.logs import install_record_redaction

_write_index = Storage._write_config_to_file


def _write_index_unless_in_memory(self: Storage) -> None:
    if not self._use_memory_fs:
        _write_index(self)


Storage._write_config_to_file = _write_index_unless_in_memory

if __name__ == "__main__":
    install_record_redaction()
    sys.exit(emulator.main())
