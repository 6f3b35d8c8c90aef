"""Static files are linked with a version, ``/static/css/site.css?v=<hash of the content>``, so
that nginx may tell browsers to keep them for a year (deploy/nginx/mmm-events-proxy.conf):
a new release with a changed file links a new address."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask


@lru_cache(maxsize=256)
def _content_hash(folder: Path, filename: str) -> str | None:
    # Cached per process: the files change only with a release, which restarts the servers.
    # Keyed by the name as linked, so that a page's links cost no file system calls.
    try:
        return hashlib.sha256((folder / filename).resolve().read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def register_static_versions(app: Flask) -> None:
    folder = Path(app.static_folder or "")

    @app.url_defaults
    def version_static_urls(endpoint, values):
        if endpoint != "static" or "v" in values or "filename" not in values:
            return
        version = _content_hash(folder, values["filename"])
        if version:
            values["v"] = version
