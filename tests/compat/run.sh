#!/usr/bin/env bash
# The compatibility suite: the official OpenAI and Anthropic Python SDKs against a real
# `switchyard serve`. Installs its packages into tests/compat/.venv, never system-wide.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
(cd "$root" && cargo build --quiet -p switchyard --bin switchyard)
cd "$here"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
