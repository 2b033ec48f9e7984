#!/usr/bin/env bash
# Debian's own python3 with what the README's commands need from it (run as root):
# python3-venv (Debian's python3 refuses `pip install` outside a virtual environment,
# PEP 668) and python3-dev + gcc (pip compiles the simulator with mypyc; without them it
# installs the pure-Python build). Idempotent: installs only what is missing.
set -euo pipefail
want=(python3 python3-venv python3-dev gcc)
missing=()
for pkg in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
/usr/bin/python3 --version
