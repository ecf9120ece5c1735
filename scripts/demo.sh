#!/usr/bin/env bash
# The main job on the embedded default base: set up, import SmolLM2-135M-Instruct from
# its Q4_1 GGUF, check the machine, and answer a prompt.
#   scripts/demo.sh ["your prompt"]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate

prompt=${1:-"What is the capital of France?"}
loco doctor
loco base list | grep -q '^smollm2-135m-instruct ' || loco base import default
loco base list
echo
echo ">>> $prompt"
loco generate "$prompt" --temp 0 --max-tokens 128
