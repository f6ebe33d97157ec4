#!/usr/bin/env bash
# Docs example (packages/cli.md): the tensorzoo command, run from the repository root after
# `npm install` (which links the command into node_modules/.bin; `npx tensorzoo` runs it).
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# region usage
# A continuation written by the embedded tinycode-gemma2-6m model, streamed to stdout:
tensorzoo generate --max-length 24 "def forward(self, x):"
# Seeded top-k sampling on the WebAssembly backend:
tensorzoo generate --sampler top_k --k 5 --seed 7 --backend wasm --threads 2 --max-length 24 "import numpy as np"
# LoRA fine-tuning on a text file (a couple of steps here), then generation with the adapter:
adapter="$work/tuned.lora.h5"   # $work: any writable folder
tensorzoo finetune --data models/tinycode-gemma2-6m/README.md --lora-rank 4 --steps 2 --sequence-length 32 --output "$adapter"
tensorzoo generate --lora "$adapter" --max-length 24 "def forward(self, x):"
# Token ids and pieces as JSON, and back:
tensorzoo tokenize --preset models/tinycode-gemma2-6m "def forward(self, x):"
tensorzoo detokenize --preset models/tinycode-gemma2-6m 416 418 758 1991 271 1985 620 404
# KerasHub's preset table, and a preset's layout map on a 2 x 4 mesh (architecture only, nothing downloaded):
tensorzoo presets
tensorzoo layout --preset gemma_2b_en --mesh 2x4
# endregion usage
