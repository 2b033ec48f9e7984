#!/usr/bin/env bash
# The build a user installs: builds the wheel with the simulator compiled by mypyc
# (ACKCHECK_MYPYC=1: a failed compile fails here instead of falling back to pure
# Python), installs it into its own virtual environment with Debian's python3, checks
# that the compiled modules are the ones imported, and runs the test suite against it:
# all but the real-cluster tests (marker nats), which the pure run has just run and
# which exercise servers and mounts, not the compiled simulator (one more pass of them
# would double CI's time spent waiting on real servers, and its exposure to their timing).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
venv=build/ci-compiled-venv
rm -rf build/ci-wheel "$venv"
/usr/bin/python3 -m venv "$venv"
ACKCHECK_MYPYC=1 "$venv/bin/python" -m pip wheel -q --no-deps -w build/ci-wheel .
wheel="$(ls build/ci-wheel/ackcheck-*.whl)"
"$venv/bin/python" -m pip install -q "${wheel}[dev]"
version="$("$venv/bin/ackcheck" --version)"
echo "$version"
case "$version" in
    *"compiled with mypyc"*) ;;
    *) echo "compiled.sh: expected the compiled build, got: $version" >&2; exit 1 ;;
esac
"$venv/bin/python" - <<'PY'
import importlib.machinery, ackcheck.sim.loop as loop, ackcheck.model.node as node
for m in (loop, node):
    assert m.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), m.__file__
print("compiled modules imported:", loop.__file__)
PY
"$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not nats"
