#!/usr/bin/env bash
# Installs the renderers the trace render tests drive: Debian's chromium (screenshots of the
# html view, and the browser mermaid-cli runs in) and npm's @mermaid-js/mermaid-cli (mmdc),
# with puppeteer's own browser download skipped (nothing but the package registries can be
# reached, and Debian's chromium is the one browser we want anyway). Idempotent: a second
# run finds everything in place and only re-checks it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/node"

if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi

# Reinstall only when the manifest or lockfile changed since the last install.
stamp="$tools/node_modules/.ackcheck-stamp"
want="$(cat "$tools/package.json" "$tools/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [ ! -x "$tools/node_modules/.bin/mmdc" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (
        cd "$tools"
        export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1
        if [ -f package-lock.json ]; then
            npm ci --no-audit --no-fund --loglevel=error
        else
            npm install --no-audit --no-fund --loglevel=error
        fi
    )
    want="$(cat "$tools/package.json" "$tools/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)"
    echo "$want" >"$stamp"
fi

# mmdc reads this to find the browser; tests pass it with -p (see tests/traces/tools.py).
cat >"$tools/puppeteer-config.json" <<JSON
{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}
JSON

chromium --version
"$tools/node_modules/.bin/mmdc" --version
