#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the checkout, and use it there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Built from a copy of the tracked files, so the checkout gets no build/ folder and untracked files stay out.
mkdir "$work/src"
(cd "$root" && git ls-files -z | xargs -0 cp -P --parents -t "$work/src")
python -m pip wheel -q --no-deps "$work/src" -w "$work/dist"
# The environment reuses the installed dependencies; cooc itself comes only from the wheel.
python -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-deps "$work"/dist/cooc-*.whl
cd "$work"
COOC_CACHE="$work/cache" MPLBACKEND=Agg "$work/venv/bin/python" "$root/.ci/wheel_smoke.py" "$work"
