#!/bin/sh
# Install or update a production checkout's virtualenv (.venv at the top of the checkout)
# from the lock: exactly the versions and files pinned in requirements.txt (the hashes refuse
# any other), then mmm-events itself. Run it in the checkout at every release, before
# `flask db upgrade`. `make lock` writes requirements.txt again after a dependency changed.
set -eu
cd "$(dirname "$0")/.."
test -x .venv/bin/python || python3 -m venv .venv
.venv/bin/pip install --quiet --require-hashes -r requirements.txt
.venv/bin/pip install --quiet --no-deps .
