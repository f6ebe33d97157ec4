#!/usr/bin/env bash
# Docs example (serving.md): `tensorzoo serve` and curl. Run from the repository root after
# `npm install`; it starts a server on a free port and stops it at the end.
set -euo pipefail
log="$(mktemp)"
tensorzoo serve --port 0 --quiet >"$log" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
until url="$(head -n 1 "$log")" && [ -n "$url" ]; do sleep 0.2; done
# region curl
# (url: http://127.0.0.1:8080 for a plain `tensorzoo serve`)
curl -s "$url/health"
curl -s "$url/v1/models"
# Chat in one piece:
curl -s "$url/v1/chat/completions" -H 'content-type: application/json' -d '{
  "model": "tinycode-gemma2-6m",
  "messages": [{"role": "user", "content": "A Python function that adds two numbers"}],
  "max_tokens": 24, "temperature": 0
}'
# A completion streamed as server-sent events (-N: no buffering), ending with data: [DONE]:
curl -sN "$url/v1/completions" -H 'content-type: application/json' -d '{
  "model": "tinycode-gemma2-6m", "prompt": "def forward(self, x):",
  "max_tokens": 16, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}
}'
# endregion curl
