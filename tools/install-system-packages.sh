#!/usr/bin/env bash
# The Debian packages that two parts of meta_rl need, and nothing else does:
#   libosmesa6                          off-screen OpenGL, for MuJoCo's rendering (`render_mode="rgb_array"`);
#   chromium chromium-driver, fonts     the browser test of the docs preview (tests/test_docs_site.py).
# Without them everything else runs: rendering raises an error naming libosmesa6 and the browser tests skip.
# Usage (root, or a user allowed to sudo):  bash tools/install-system-packages.sh
set -euo pipefail
PACKAGES=(libosmesa6 chromium chromium-driver fonts-liberation fonts-dejavu-core)

if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  echo "no apt-get here (not Debian or Ubuntu): install the equivalents of ${PACKAGES[*]} with this system's package manager" >&2
  exit 1
fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages: all installed (${PACKAGES[*]})"; exit 0; fi
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
  echo "installing ${missing[*]} needs root: sudo bash $0" >&2; exit 1
fi
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
