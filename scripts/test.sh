#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, then lint,
# type check, the Python tests (unit, CLI, LSP over stdio, headless Neovim) and
# the VS Code extension's lint, unit tests and package check.
#
# Budget: 5 minutes on 2 cores, installs included. So the extension's npm
# steps (mostly downloads and node start-up) run in the background beside the
# pip install, ruff and mypy, and pytest runs on every core (pytest-xdist).
# Extra arguments go to pytest: `bash scripts/test.sh tests/cli -x`.
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

npm_pid=""
npm_log=$(mktemp)
finish_npm() {
  # Waited for (not killed) on every exit, so its output is never lost and no
  # npm is left running after this script.
  [ -n "$npm_pid" ] || return 0
  local status=0
  wait "$npm_pid" || status=$?
  npm_pid=""
  echo "== npm ci, lint, test, package (VS Code extension): exit status $status"
  cat "$npm_log"
  return "$status"
}
trap 'finish_npm || true; rm -f "$npm_log"' EXIT
if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
  echo "== npm ci, lint, test, package (VS Code extension), in the background"
  (
    npm ci --no-audit --no-fund --loglevel=error &&
      npm run --silent lint &&
      npm test --silent &&
      npm run --silent package
  ) >"$npm_log" 2>&1 &
  npm_pid=$!
fi

# A virtualenv of the checkout's own, so the tests run this tree's code and
# never disturb (or depend on) what else is installed; make-venv.sh also copes
# with Debian's python3 (PEP 668, ensurepip in a package of its own).
bash scripts/make-venv.sh
PY=.venv/bin/python
# Installed again only when pyproject.toml changed since (it takes ~15 s even
# when nothing is to be done).
stamp=.venv/.mgdebug-dev-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "== pip install -e .[dev]"
  "$PY" -m pip install -q -e '.[dev]'
  echo "$wanted" >"$stamp"
else
  echo "== pip install -e .[dev]: already done for this pyproject.toml"
fi

echo "== ruff"
"$PY" -m ruff check analysis debugger server tests benchmarks
echo "== mypy"
"$PY" -m mypy analysis debugger server tests/lsp/fake_engine.py  # the scripted engine keeps engine.Engine

finish_npm

# On every core. loadscope, as refined in tests/conftest.py: a module with a
# module-scoped fixture stays on one worker (its set-up is paid once), every
# other test is dealt out alone. --durations names the slowest, so a new slow
# test shows. pytest exits 5 when it collected nothing: that fails this script
# too, never "passes".
echo "== pytest -n auto"
status=0
"$PY" -m pytest -q -p no:cacheprovider -n auto --dist loadscope --durations=15 "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "== pytest collected no tests: that is a failure, not a pass" >&2
fi
exit "$status"
