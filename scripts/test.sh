#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, then lint,
# type check, the Python tests (unit, CLI, LSP over stdio, headless Neovim) and
# the VS Code extension's lint, unit tests and package check.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing neovim (the headless editor test drives it)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
  else
    echo "== nvim not found and cannot apt-get it: the Neovim test will be skipped"
  fi
fi

# A virtualenv of the checkout's own, so the tests run this tree's code and
# never disturb (or depend on) what else is installed.
if [ ! -x .venv/bin/python ]; then
  echo "== python3 -m venv .venv"
  python3 -m venv .venv
fi
PY=.venv/bin/python
echo "== pip install -e .[dev]"
"$PY" -m pip install -q -e '.[dev]'

echo "== ruff"
"$PY" -m ruff check analysis debugger server tests benchmarks
echo "== mypy"
"$PY" -m mypy analysis debugger server

if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
  echo "== npm ci, lint, test, package (VS Code extension)"
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent lint
  npm test --silent
  npm run --silent package
fi

echo "== pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
