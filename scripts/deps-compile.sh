#!/usr/bin/env bash
# Recompile the pinned lock files from the hand-edited requirements/*.in.
# Run after editing an .in file; commit the .in and .txt together.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PIP_TOOLS_VENV:-.venv-tools}
[ -x "$venv/bin/pip-compile" ] || { python3.11 -m venv "$venv"; "$venv/bin/pip" install -q pip-tools==7.6.2; }
flags=(-q --strip-extras --no-header --allow-unsafe --no-emit-index-url --no-emit-find-links)
"$venv/bin/pip-compile" "${flags[@]}" -o requirements/base.txt requirements/base.in
"$venv/bin/pip-compile" "${flags[@]}" -o requirements/dev.txt requirements/dev.in
