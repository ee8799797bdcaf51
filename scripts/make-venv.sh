#!/usr/bin/env bash
# Makes .venv, the checkout's own virtual environment, unless a working one is
# there; used by install.sh (set-up) and test.sh (the test suite).
#
# Why a venv: Debian's and Ubuntu's own python3 refuses `pip install` outside
# one (PEP 668, "externally-managed-environment"), and a venv keeps mgdebug's
# dependencies away from the system's. Debian ships venv's `ensurepip` apart,
# in python3-venv (python3.X-venv): as root it is installed with apt-get,
# otherwise this says exactly what to run. PYTHON picks the interpreter
# (default python3 from PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv

die() {
  echo "make-venv.sh: $*" >&2
  exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 ||
  die "$PYTHON not found: install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3 python3-venv), or set PYTHON=/path/to/python3"
version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  die "mgdebug needs Python 3.10 or newer; $PYTHON is $version: set PYTHON=python3.11 (or newer)"

# A .venv that cannot run pip (Debian's venv leaves one half-made when
# ensurepip is missing) is made again; a working one is kept as it is.
if [ -e "$VENV" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  echo "== $VENV has no working pip: making it again"
  rm -rf "$VENV"
fi
[ -e "$VENV" ] && exit 0

if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  package="python$version-venv"
  python_path=$(command -v "$PYTHON")
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
    [ "${python_path#/usr/bin/}" != "$python_path" ]; then
    echo "== $PYTHON has no ensurepip (Debian ships it apart): apt-get install $package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null ||
      die "apt-get install $package failed; install it (or python3-venv) and run this again"
  else
    sudo=$([ "$(id -u)" = 0 ] || echo "sudo ")
    die "$PYTHON ($python_path) cannot make a virtual environment: its ensurepip module is missing.
  On Debian or Ubuntu run:  ${sudo}apt-get install $package   (or python3-venv)
  then run this again. Elsewhere, install a Python with venv and pip, or set PYTHON=/path/to/python3."
  fi
fi
echo "== $PYTHON -m venv $VENV   (Python $version)"
"$PYTHON" -m venv "$VENV"
