#!/usr/bin/env bash
# Debian packages the browser and GL tests need. Idempotent; skipped where already present.
#   chromium, fonts          browser tests (playwright-core drives Debian's chromium)
#   xvfb, Mesa               an X display with software GL for headless-gl (the gpujs backend's
#                            Node mode) and its `xvfb-run`
#   python3 make g++ pkg-config libxi-dev libglu1-mesa-dev libglew-dev
#                            what `gl` (headless-gl, an optional dependency of gpu.js) needs to build
#                            from source during `npm ci` (it has no prebuilt binary for every Node)
set -euo pipefail
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v Xvfb >/dev/null 2>&1 || needed+=(xvfb xauth)
command -v python3 >/dev/null 2>&1 || needed+=(python3)
command -v make >/dev/null 2>&1 || needed+=(make)
command -v g++ >/dev/null 2>&1 || needed+=(g++)
command -v pkg-config >/dev/null 2>&1 || needed+=(pkg-config)
for package in libxi-dev libglu1-mesa-dev libglew-dev libgl1-mesa-dri libglx-mesa0; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || needed+=("$package")
done
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "need root to install: ${needed[*]}" >&2; exit 1; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" fonts-dejavu-core >/dev/null
