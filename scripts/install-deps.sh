#!/usr/bin/env bash
# Installs the Debian packages Sweep needs that are missing, and nothing else.
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail

# System packages the build, the tests and the demo need.
PACKAGES=(pkg-config python3 "$@")

missing=()
for package in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "installing missing packages: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
