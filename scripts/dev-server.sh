#!/bin/sh
# make run: the development web server, with the mail worker beside it.
# Stopping the server (Ctrl-C) stops the worker too.
set -e
if $FLASK mail-worker --help >/dev/null 2>&1; then
  $FLASK mail-worker &
  worker=$!
  trap 'kill $worker 2>/dev/null' EXIT INT TERM
fi
$FLASK run --host 127.0.0.1 --port "$PORT" --debug
