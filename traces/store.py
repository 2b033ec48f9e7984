"""Reading and writing trace files: byte-stable JSON (optionally gzipped), schema-checked.

The same run must give the same file byte for byte, so that a trace can be diffed,
hashed and committed: keys are sorted, separators fixed, no wall-clock time is written
and gzip's header carries neither a name nor an mtime.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gzip
import hashlib
import json
import os
import re
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ackcheck.canonical import canonical, encode_event
from ackcheck.errors import TraceError
from ackcheck.history import Event, History
from ackcheck.model import PRESETS
from ackcheck.schedule import Schedule
from ackcheck.traces.codec import (
    events_to_list,
    history_from_dict,
    history_to_dict,
    schedule_from_dict,
    schedule_to_dict,
)
from ackcheck.traces.trace import (
    FORMAT,
    FORMAT_MAJOR,
    FORMAT_MINOR,
    FORMAT_VERSION,
    Trace,
    TraceViolation,
)

GZIP_MAGIC = b"\x1f\x8b"
SCHEMA_FILE = "trace.schema.json"


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    v = trace.violation
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "ackcheck_version": trace.ackcheck_version,
        "preset": trace.preset,
        "overrides": list(trace.overrides),
        "config": canonical(trace.config),
        "node": trace.node,
        "schedule": schedule_to_dict(trace.schedule),
        "properties": None if trace.properties is None else list(trace.properties),
        "violation": None
        if v is None
        else {
            "property": v.property,
            "summary": v.summary,
            "details": list(v.details),
            "data": canonical(v.data),
        },
        "history": history_to_dict(trace.history),
        "events": events_to_list(trace.history.events),
        "digest": trace.digest,
    }


def dumps(trace: Trace) -> bytes:
    """The canonical bytes of a trace (uncompressed)."""
    try:
        text = json.dumps(
            trace_to_dict(trace),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            allow_nan=False,
        )
    except ValueError as exc:  # pragma: no cover - canonical() already replaced NaN
        raise TraceError(f"cannot serialise trace: {exc}") from None
    return text.encode("ascii") + b"\n"


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write ``trace`` to ``path`` (gzipped when it ends in ``.gz``); returns the path."""
    return write_bytes(dumps(trace), path)


def write_bytes(data: bytes, path: str | Path, *, exclusive: bool = False) -> Path:
    """Write trace bytes to ``path`` atomically, gzipped when the name ends in ``.gz``
    (see :func:`atomic_write`)."""
    path = Path(path)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return atomic_write(data, path, exclusive=exclusive)


def atomic_write(data: bytes, path: str | Path, *, exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one,
    never a part: a temporary file beside it, fsynced, then renamed over it. With
    ``exclusive`` an existing ``path`` is never replaced (:class:`FileExistsError`; the
    name is claimed with ``O_EXCL`` first, so two writers cannot both win it). On every
    failure, an interrupt included, the temporary file (and a claim) is removed and the
    old file left as it was; an ``OSError`` becomes a one-line :class:`TraceError`."""
    path = Path(path)
    claimed = tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            claimed = path
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(name)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = claimed = None
    except FileExistsError:
        raise
    except OSError as exc:
        raise TraceError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, claimed):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    leftover.unlink()
    return path


def is_trace_file(path: str | Path) -> bool:
    """Whether ``path`` holds an ackcheck trace (or anything gzipped, which a render never
    is): what ``show --out`` refuses to write over. Unreadable counts as a trace."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except (FileNotFoundError, IsADirectoryError):
        return False
    except OSError:
        return True
    if head[:2] == GZIP_MAGIC:
        return True
    return f'"format":"{FORMAT}"'.encode() in head.replace(b" ", b"")


# ------------------------------------------------------------------------- reading


@functools.cache
def schema() -> dict[str, Any]:
    """The published JSON Schema (``traces/trace.schema.json``, shipped as package data)."""
    text = resources.files("ackcheck.traces").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _lenient(node: Any) -> Any:
    """The schema with every 'no unknown fields' rule dropped, for newer minor versions."""
    if isinstance(node, dict):
        return {
            k: _lenient(v)
            for k, v in node.items()
            if not (k in ("additionalProperties", "unevaluatedProperties") and v is False)
        }
    if isinstance(node, list):
        return [_lenient(v) for v in node]
    return node


def _is_integer(_checker: object, instance: object) -> bool:
    """JSON Schema calls 1.0 an integer; a node id or a time of 1.0 is not one here."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _validator(strict: bool, events: bool = True) -> jsonschema.protocols.Validator:
    """The schema's validator; with ``events=False`` the per-event rules are left to
    :func:`_check_events` (the same rules, 100x faster on a 10k-event trace)."""
    s = schema() if strict else _lenient(copy.deepcopy(schema()))
    if not events:
        s = {**s, "properties": {**s["properties"], "events": {"type": "array"}}}
    base = jsonschema.validators.validator_for(s)
    cls = jsonschema.validators.extend(
        base, type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer)
    )
    return cls(s)  # type: ignore[no-any-return]


EVENT_FIELDS: tuple[tuple[str, type, str], ...] = (
    ("time", int, "integer"),
    ("actor", str, "string"),
    ("kind", str, "string"),
    ("data", dict, "object"),
    ("lamport", int, "integer"),
)
#: ``$defs/event`` of the schema: the simulator, ``n<id>`` (nodes), ``c<id>`` (clients);
#: searched as JSON Schema's ``pattern`` is, so the two checks agree.
ACTOR = re.compile(r"^(sim|[nc](0|[1-9][0-9]{0,5}))$")
_ACTOR_ID = re.compile(r"([nc])([0-9]+)")
EVENT_MINIMUM = {"time": 0, "lamport": 1}


def _check_events(events: list[Any]) -> None:
    """``$defs/event`` of the schema, applied to every event by hand for speed."""
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            raise TraceError(f"field events[{i}]: {_short(e)} is not valid (type 'object')")
        for key, typ, name in EVENT_FIELDS:
            if key not in e:
                raise TraceError(f"field events[{i}]: {key!r} is a required property")
            v = e[key]
            if not isinstance(v, typ) or isinstance(v, bool):
                raise TraceError(f"field events[{i}].{key}: {_short(v)} is not valid "
                                 f"(type {name!r})")
        for key, least in EVENT_MINIMUM.items():
            if e[key] < least:
                raise TraceError(f"field events[{i}].{key}: {e[key]} is not valid "
                                 f"(minimum {least})")
        if not ACTOR.search(e["actor"]):
            raise TraceError(f"field events[{i}].actor: {_short(e['actor'])} is not valid "
                             f"(pattern {ACTOR.pattern!r})")


def events_digest(events: Sequence[Event]) -> str:
    """The digest of a run's events, as the simulator's recorder computes it (sha256 of
    each event's :func:`ackcheck.canonical.encode_event` plus a newline)."""
    h = hashlib.sha256()
    for e in events:
        h.update(encode_event(e.time, e.actor, e.kind, e.lamport, e.data).encode() + b"\n")
    return h.hexdigest()


def _check_integrity(schedule: Schedule, history: History, digest: str) -> None:
    """The trace agrees with itself: its events hash to its digest (a trace whose events
    were cut or edited is refused, not replayed as a match), and every event and
    history record stays within the cluster, the clients and the run's time."""
    end = schedule.duration + schedule.settle
    clients = schedule.workload.clients + schedule.nodes  # publishers, then one reader each
    last = 0
    for i, e in enumerate(history.events):
        if e.time < last or e.time > end:
            raise TraceError(f"field events[{i}].time: {e.time} is out of order or after "
                             f"the run's end ({end})")
        last = e.time
        if e.actor != "sim":
            m = _ACTOR_ID.fullmatch(e.actor)
            if m is None or int(m[2]) >= (schedule.nodes if m[1] == "n" else clients):
                raise TraceError(f"field events[{i}].actor: {e.actor} does not exist in "
                                 f"this run ({schedule.nodes} nodes, {clients} clients)")
    if history.end_time > end or history.heal_time > end:
        raise TraceError(f"field history: end or heal time after the run's end ({end})")
    actual = events_digest(history.events)
    if actual != digest:
        raise TraceError(
            f"the stored events do not match the trace's digest (recorded {digest[:16]}, "
            f"events hash to {actual[:16]}): the file was edited or cut"
        )


def _where(error: jsonschema.ValidationError) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in error.absolute_path]
    out = ""
    for p in parts:
        out += p if p.startswith("[") or not out else "." + p
    return out or "(top level)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For "not valid under any of the given schemas" (null-or-object fields), the error of
    the alternative that matched the type: it names the field that is actually wrong."""
    while error.context:
        shaped = [e for e in error.context if e.validator != "type"] or list(error.context)
        error = max(shaped, key=lambda e: len(e.absolute_path))
    return error


def _schema_message(error: jsonschema.ValidationError) -> str:
    best = _deepest(jsonschema.exceptions.best_match([error]))
    message = best.message
    if best.validator in ("type", "enum", "const", "pattern", "minimum", "maximum"):
        rule = f"{best.validator} {_short(best.validator_value)}"
        message = f"{_short(best.instance)} is not valid ({rule})"
    return f"field {_where(best)}: {message}".replace("\n", " ")


def _check_version(doc: Mapping[str, Any]) -> bool:
    """Refuses a newer major version; returns True if the file is a newer minor version."""
    version = doc.get("version")
    if not isinstance(version, str):
        raise TraceError("field version: missing or not a string like '1.0'")
    match = re.fullmatch(r"([0-9]{1,6})\.([0-9]{1,6})", version, re.ASCII)
    if match is None:
        raise TraceError(f"field version: {_short(version)} is not 'major.minor'")
    major, minor = int(match[1]), int(match[2])
    if major > FORMAT_MAJOR:
        raise TraceError(
            f"trace format {version} is newer than this ackcheck reads "
            f"({FORMAT_MAJOR}.x); upgrade ackcheck"
        )
    if major < FORMAT_MAJOR:
        raise TraceError(
            f"trace format {version} is older than this ackcheck reads ({FORMAT_MAJOR}.x)"
        )
    return minor > FORMAT_MINOR


def _check_preset(name: str | None) -> None:
    if name is None:
        return
    if name not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise TraceError(f"unknown preset {name!r}; known: {known}")


def _check_history_nodes(history: History) -> None:
    """Every node a history record names exists: a trace that draws lane n7 of a 3-node
    cluster is not one to believe."""
    named: list[tuple[str, tuple[int, ...]]] = []
    named += [(f"history.ops[{i}].node", (op.node,)) for i, op in enumerate(history.ops)]
    named += [(f"history.faults[{i}].fault", fe.fault.nodes_named())
              for i, fe in enumerate(history.faults)]
    for part in ("observations", "final_reads", "residency", "losses"):
        named += [(f"history.{part}[{i}].node", (r.node,))
                  for i, r in enumerate(getattr(history, part))]
    for i, fe in enumerate(history.faults):
        if hasattr(fe.fault, "nodes") and not fe.fault.nodes:
            raise TraceError(f"field history.faults[{i}].fault: names no node")
    for where, nodes in named:
        for n in nodes:
            if not 0 <= n < history.nodes:
                raise TraceError(f"field {where}: node {n}, but the cluster has nodes "
                                 f"0..{history.nodes - 1}")


def decode(doc: Any) -> Trace:
    """A parsed JSON document to a :class:`Trace`, checking format, version and schema."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise TraceError(f"not an ackcheck trace (field format must be {FORMAT!r})")
    newer_minor = _check_version(doc)
    error = next(iter(_validator(not newer_minor, events=False).iter_errors(doc)), None)
    if error is not None:
        raise TraceError(_schema_message(error))
    _check_events(doc["events"])
    _check_preset(doc["preset"])
    v = doc["violation"]
    history = history_from_dict(doc["history"], doc["events"])
    schedule = schedule_from_dict(doc["schedule"])
    if history.nodes != schedule.nodes:
        raise TraceError(
            f"history has {history.nodes} nodes but the schedule has {schedule.nodes}"
        )
    _check_history_nodes(history)
    _check_integrity(schedule, history, doc["digest"])
    return Trace(
        preset=doc["preset"],
        overrides=tuple(doc["overrides"]),
        config=dict(doc["config"]),
        node=doc["node"],
        schedule=schedule,
        properties=None if doc["properties"] is None else tuple(doc["properties"]),
        violation=None
        if v is None
        else TraceViolation(
            property=v["property"],
            summary=v["summary"],
            details=tuple(v["details"]),
            data=v["data"],
        ),
        history=history,
        digest=doc["digest"],
        ackcheck_version=doc["ackcheck_version"],
        version=doc["version"],
    )


def loads(data: bytes) -> Trace:
    """Parse trace bytes (plain or gzipped)."""
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise TraceError(f"truncated or corrupt gzip file ({exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceError(f"not JSON: not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise TraceError("not JSON this reader accepts: nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise TraceError(f"not JSON this reader accepts: {exc}") from None
    return decode(doc)


def load_trace(path: str | Path) -> Trace:
    """Read and validate a trace file; every failure is a one-line :class:`TraceError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return loads(data)
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None
