#!/usr/bin/env bash
# The main job on the embedded default base: set up, then `loco demo`: routing of sample
# queries, answers of the routed adapter next to the base's, the gate table of the shipped
# adapters, and one adapter exported to GGUF answering in llama.cpp.
#   scripts/demo.sh                 # a few minutes on a 2-core CPU after set-up
#   scripts/demo.sh --train json    # retrain one adapter from its recipe first
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate

loco doctor
loco demo "$@"
