#!/usr/bin/env bash
# Debian packages the browser and GL tests need. Idempotent; skipped where already present.
set -euo pipefail
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v Xvfb >/dev/null 2>&1 || needed+=(xvfb)
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "need root to install: ${needed[*]}" >&2; exit 1; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" fonts-dejavu-core >/dev/null
