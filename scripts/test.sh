#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, integration tests on the real
# embedded SmolLM2 and llama.cpp parity included. Extra arguments go to pytest:
#   scripts/test.sh -m "not integration"     # the fast logic tests only
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
exec python -m pytest "$@"
