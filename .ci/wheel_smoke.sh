#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the checkout, and use it there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python -m pip wheel -q --no-deps "$root" -w "$work/dist"
# The environment reuses the installed dependencies; cooc itself comes only from the wheel.
python -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-deps "$work"/dist/cooc-*.whl
cd "$work"
COOC_CACHE="$work/cache" MPLBACKEND=Agg "$work/venv/bin/python" "$root/.ci/wheel_smoke.py" "$work"
