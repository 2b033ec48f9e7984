#!/usr/bin/env bash
# Runs README.md's numbered command N ("Start here", the first ```sh block: its lines
# that are not comments, in order) exactly as written, with Debian's /usr/bin/python3 as
# `python3`, so that the README cannot drift from what works on a fresh Debian machine.
# Usage: bash .ci/readme-command.sh N   (exit code: the command's)
set -euo pipefail
cd "$(dirname "$0")/.."
n="$1"
cmd="$(awk '/^## Start here/{s=1} s && /^```sh/{b=1; next} b && /^```/{exit} b' README.md \
    | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$' | sed -n "${n}p")"
if [ -z "$cmd" ]; then
    echo "readme-command: README.md has no command $n under 'Start here'" >&2
    exit 2
fi
# Debian's PATH: python3 is /usr/bin/python3 (not a pyenv or other shim that may come first)
debian_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
py="$(PATH="$debian_path" command -v python3)"
if [ "$py" != /usr/bin/python3 ]; then
    echo "readme-command: python3 on Debian's PATH is $py, not /usr/bin/python3" >&2
    exit 2
fi
echo "\$ $cmd"
PATH="$debian_path" bash -c "$cmd"
