#!/usr/bin/env bash
# Set-up from a fresh clone: mgdebug installed in the checkout's own virtual
# environment (.venv, made by make-venv.sh: Debian's and Ubuntu's python3
# refuse `pip install` outside one), `mgdebug` on PATH, then the example.
#
#   bash scripts/install.sh                     # python3 from PATH
#   PYTHON=python3.12 bash scripts/install.sh
#
# Exit status 0 when mgdebug is installed and the example ran as expected (it
# finds a bug and shows a checked fix, which is mgdebug's exit status 1).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

die() {
  echo "install.sh: $*" >&2
  exit 1
}

bash scripts/make-venv.sh
echo "== .venv/bin/python -m pip install -e .   (mgdebug and its dependencies, into .venv only)"
.venv/bin/python -m pip install -q -e .

# `mgdebug` on PATH: linked into ~/.local/bin when that folder is already on
# PATH (Debian's and Ubuntu's ~/.profile put it there), as pipx does;
# otherwise the exact line to add is printed.
bin="$PWD/.venv/bin"
link="$HOME/.local/bin/mgdebug"
case ":$PATH:" in
  *":$bin:"*) on_path=".venv/bin is on PATH" ;;
  *":$HOME/.local/bin:"*)
    if [ ! -e "$link" ] || [ "$(readlink "$link" || true)" = "$bin/mgdebug" ]; then
      mkdir -p "$HOME/.local/bin"
      ln -sfn "$bin/mgdebug" "$link"
      on_path="linked $link -> $bin/mgdebug"
    else
      on_path="$link already exists and is not this one: left alone; run $bin/mgdebug"
    fi
    ;;
  *) on_path="" ;;
esac

echo "== mgdebug examples/stats.py"
status=0
"$bin/mgdebug" examples/stats.py || status=$?
echo
[ "$status" = 1 ] ||
  die "the example should find a bug and show a checked fix (exit status 1), but mgdebug exited $status"
installed=$("$bin/python" -c 'from importlib.metadata import version; print(version("mgdebug"))')
echo "mgdebug $installed is installed in $bin (exit status 1 above is"
echo "expected: the example has a bug, and mgdebug found it and showed a checked fix)."
if [ -n "$on_path" ]; then
  echo "mgdebug is on your PATH: $on_path."
else
  echo "To run it as \`mgdebug\`, put it on your PATH, e.g. add this line to ~/.profile or ~/.bashrc:"
  echo "  export PATH=\"$bin:\$PATH\""
fi
echo "Tests: bash scripts/test.sh"
