"""Invitee files kept on the server between the import report and its confirmation.

The organiser sees the report, then confirms; the file is not sent again, and nothing the
browser sends back is trusted as rows: the confirmation names a random id, and the stored
file is parsed again, for the same event and the same organiser only.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

FOLDER = "invitation-imports"
# Reports not confirmed within a day are abandoned; their files are removed on the next upload.
MAX_AGE_SECONDS = 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class StoredUpload:
    id: str
    filename: str
    data: bytes


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _purge_old(folder: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            continue


def store(instance_path: str, *, event_id: int, user_id: int, filename: str, data: bytes) -> str:
    folder = _folder(instance_path)
    _purge_old(folder)
    upload_id = secrets.token_urlsafe(24)
    (folder / f"{upload_id}.data").write_bytes(data)
    meta = {"event_id": event_id, "user_id": user_id, "filename": filename}
    (folder / f"{upload_id}.json").write_text(json.dumps(meta))
    return upload_id


def load(instance_path: str, upload_id: str, *, event_id: int, user_id: int) -> StoredUpload | None:
    """The stored file, if this id names one uploaded by this organiser for this event."""
    if not _ID.match(upload_id):
        return None
    folder = _folder(instance_path)
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text())
        data = (folder / f"{upload_id}.data").read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    if meta.get("event_id") != event_id or meta.get("user_id") != user_id:
        return None
    return StoredUpload(upload_id, str(meta.get("filename", "")), data)


def discard(instance_path: str, upload_id: str) -> None:
    if not _ID.match(upload_id):
        return
    folder = _folder(instance_path)
    for suffix in (".data", ".json"):
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)
