"""Interrupts unwind a real run even when Python swallows the first exception raised
by the signal handler (as it does inside a weakref callback or ``__del__``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from ackcheck.harness import cleanup
    swallow = sys.argv[1]  # "first": swallow one interrupt; "all": every one
    swallowed = 0
    with cleanup.interrupts_unwind():
        print("ready", flush=True)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                time.sleep(0.01)
            except (KeyboardInterrupt, SystemExit):
                swallowed += 1
                if swallow == "first" and swallowed > 1:
                    raise  # the interrupt raised again while the block runs on
                if swallow == "all":  # the block ends soon: the interrupt is raised then
                    end = min(end, time.monotonic() + 0.3)
    print("ran to the end", flush=True)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("swallow", ["first", "all"])
def test_a_swallowed_interrupt_is_raised_again(tmp_path, sig, swallow):
    script = tmp_path / "swallow.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), swallow], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert "ran to the end" not in out, err
    assert proc.returncode in (-sig, 128 + sig), (proc.returncode, err)
    assert time.monotonic() - started < 5
