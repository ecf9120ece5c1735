#!/usr/bin/env bash
# Register, gate, promote and route the shipped adapters: what produced adapters/registry.yaml,
# adapters/*/results.json and adapters/router.json. Run after training them:
#   for d in math json code; do LOCO_REGISTRY=adapters/registry.yaml loco train configs/smollm2-135m/$d.yaml; done
#                                            (the shipped registry: a retraining is versioned one minor above it)
#   bash scripts/ship_adapters.sh            (base answers are cached; batches of 32 answers decode together)
#   LOCO_EVAL_BACKEND=llamacpp bash scripts/ship_adapters.sh json   (one domain; the gate on llama.cpp, which
#                                             decodes faster than MLX on a CPU without Metal)
# An adapter is promoted only when `loco eval` says SHIP: at least 15 points over the base on its own
# benchmark (McNemar p < 0.05), the same on its independent benchmark (data/<domain>/independent.jsonl, written
# apart from the generator) where it has one, and no more than 5 points lost on each of the other two.
# 2026-12-06: the retrained code adapter gated ITERATE (1.2 points short on its independent set) and was
# promoted by hand, `loco adapters promote code --force` (README, "The shipped adapters").
set -uo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export LOCO_REGISTRY=adapters/registry.yaml
domains=${*:-math json code}
for d in $domains; do
  independent=$([ -f "data/$d/independent.jsonl" ] && printf -- "--benchmark data/%s/independent.jsonl" "$d")
  others=$(for o in math json code; do [ "$o" != "$d" ] && printf -- "--ood data/%s/benchmark.jsonl " "$o"; done)
  keywords=$(python -c "
import yaml; kw = yaml.safe_load(open('configs/router/keywords.yaml'))['$d']
print(' '.join(f'--keyword \"{k}={v}\"' for k, v in kw.items()))")
  loco adapters remove "$d" >/dev/null 2>&1 || true
  eval loco adapters add "adapters/$d" --domain "$d" $keywords || exit 1
  # shellcheck disable=SC2086
  loco eval "$d" --benchmark "data/$d/benchmark.jsonl" $independent $others --max-tokens 160 --batch-size 32 \
    --backend "${LOCO_EVAL_BACKEND:-mlx}" --quiet
  status=$?
  if [ $status -eq 0 ]; then loco adapters promote "$d"; else echo "$d: not shipped (loco eval exit $status)"; fi
done
# adapters/router.json remembers what it was fitted on: each adapter's training prompts pooled with
# the requests written for it (data/router/examples/), and the base's written requests
loco router fit
loco router eval data/router/heldout.jsonl
loco router eval data/router/heldout-2.jsonl
loco router eval data/router/heldout-3.jsonl
loco router eval data/router/heldout-4.jsonl
loco router eval data/router/heldout-5.jsonl
loco router eval data/router/heldout-6.jsonl
