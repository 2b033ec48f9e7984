"""Where the external renderers are (Debian's chromium, npm's mmdc), for render tests.

``.ci/render-tools.sh`` installs both; a machine without them skips those tests with
the reason, rather than passing them vacuously.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_TOOLS = REPO / ".ci" / "node"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (run .ci/render-tools.sh)")
    return path


def mmdc(tmp: Path) -> list[str]:
    """The mmdc command line, with a puppeteer config pointing at Debian's chromium."""
    exe = NODE_TOOLS / "node_modules" / ".bin" / "mmdc"
    found = str(exe) if exe.exists() else shutil.which("mmdc")
    if found is None:
        pytest.skip("mmdc (@mermaid-js/mermaid-cli) is not installed (run .ci/render-tools.sh)")
    config = tmp / "puppeteer.json"
    config.write_text(json.dumps({
        "executablePath": chromium(),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }))
    return [found, "-p", str(config)]


def run_chromium(
    args: list[str], user_dir: Path, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={user_dir}", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what chromium writes) to RGB pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        pixels.extend(
            (line[x], line[x + 1], line[x + 2]) for x in range(0, stride, channels)
        )
        prev = line
    return width, height, pixels
