"""Files from other packages that OParl publishes (a registry, no imports upward).

The api package publishes the attachments of public papers itself.  Other
packages add their public files by registering a provider at import time,
for example the minutes package for approved public minutes::

    from netzwerk.api.providers import PublicFile, register_file_provider

    class MinutesFiles:
        kind = "minutes"            # URL segment: /oparl/v1/file/minutes/<id>

        def public_files(self, meeting_ids=None):   # one query, never per row
            ...  # -> list[PublicFile] of approved minutes of public meetings
        def get(self, file_id):                     # -> PublicFile | None
            ...
        def content(self, file_id):                 # -> bytes | pathlib.Path | None
            ...  # the stored bytes (e.g. MinutesDocument.data) or the file's path

    register_file_provider(MinutesFiles())

Only files that anyone may read belong here: the provider decides what is
public (for minutes: the public edition of approved minutes of a public
meeting of a public body); the api package additionally drops files of
meetings that are not public in OParl.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class PublicFile:
    id: int
    name: str
    file_name: str
    mime_type: str
    size: int
    created: datetime
    modified: datetime
    date: date | None = None
    meeting_id: int | None = None
    # How the meeting refers to it: "resultsProtocol", "invitation" or "auxiliaryFile".
    meeting_role: str = "auxiliaryFile"
    sha256: str | None = None


class FileProvider(Protocol):
    kind: str

    def public_files(self, meeting_ids: Collection[int] | None = None) -> list[PublicFile]:
        """The public files (of these meetings; None = all), in one query."""

    def get(self, file_id: int) -> PublicFile | None:
        """One public file, or None when it does not exist or is not public."""

    def content(self, file_id: int) -> bytes | Path | None:
        """The public file's bytes, or the path where they are stored."""


_PROVIDERS: dict[str, FileProvider] = {}


def register_file_provider(provider: FileProvider) -> None:
    if not provider.kind.isidentifier() or provider.kind == "attachment":
        raise ValueError(f"bad file provider kind {provider.kind!r}")
    _PROVIDERS[provider.kind] = provider


def unregister_file_provider(kind: str) -> None:
    _PROVIDERS.pop(kind, None)


def file_providers() -> list[FileProvider]:
    return [_PROVIDERS[k] for k in sorted(_PROVIDERS)]


def file_provider(kind: str) -> FileProvider | None:
    return _PROVIDERS.get(kind)
