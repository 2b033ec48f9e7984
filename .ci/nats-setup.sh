#!/usr/bin/env bash
# Prepare the real-cluster harness (idempotent; .ci/run calls it): Debian's fuse3 for the
# lose-unsynced-writes file system, a usable /dev/fuse, and the nats-server binaries the
# tests use (2.12.1 and the newest release) in the per-user cache.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v fusermount3 >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq fuse3
fi

if [ ! -e /dev/fuse ]; then
    # A container without the device node: create it if we may (char 10,229).
    mknod -m 0666 /dev/fuse c 10 229 2>/dev/null || true
fi
if [ -e /dev/fuse ] && [ ! -w /dev/fuse ]; then
    chmod 0666 /dev/fuse 2>/dev/null || true
fi
if [ -w /dev/fuse ]; then
    echo "nats-setup: /dev/fuse is usable"
else
    echo "nats-setup: WARNING /dev/fuse is not usable; the FUSE tests will skip" >&2
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c "import mfusepy" 2>/dev/null || "$PYTHON" -m pip install -q "mfusepy>=3.1"

"$PYTHON" -c "from ackcheck.app.cli import main; main()" nats install 2.12.1
"$PYTHON" -c "from ackcheck.app.cli import main; main()" nats install latest
"$PYTHON" -c "from ackcheck.app.cli import main; main()" nats list
