"""The corpus: every committed counterexample still reproduces, digest unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from ackcheck.app._replay import replay_in_sim
from ackcheck.traces import FORMAT_VERSION, load_trace

# the checkout's corpus, not the installed copy: a strict editable install links only
# the files that existed when it was made
CORPUS = Path(__file__).resolve().parents[2] / "traces" / "corpus"


def corpus_files() -> list[Path]:
    return sorted([*CORPUS.glob("*.json"), *CORPUS.glob("*.json.gz")])


NO_TRACES = (
    "traces/corpus/ has no traces yet: they are generated with the explorer "
    "(see traces/corpus/README.md)"
)


def _stem(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".json")


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda p: p and _stem(p))
def test_corpus_trace_still_reproduces(path: Path | None) -> None:
    if path is None:
        pytest.skip(NO_TRACES)
    trace = load_trace(path)
    assert trace.violation is not None, f"{path.name}: a corpus trace records a violation"
    explanation = path.with_name(_stem(path) + ".md")
    assert explanation.exists() and explanation.read_text().strip(), (
        f"{path.name}: needs a teaching note {explanation.name}"
    )
    report = replay_in_sim(trace)
    assert report.reproduces, f"{path.name}: {trace.violation.property} no longer reproduces"
    if trace.version == FORMAT_VERSION:
        assert report.digest_matches, (
            f"{path.name}: digest changed ({trace.digest[:16]} -> {report.digest[:16]}) while "
            f"the trace format stayed {FORMAT_VERSION}: the simulator or model changed "
            "behaviour; regenerate the trace (traces/corpus/README.md) and say why"
        )


def test_corpus_covers_every_reproducible_known_bug() -> None:
    from ackcheck.app._known import KNOWN_BUGS

    assert corpus_files(), NO_TRACES
    have = {_stem(p) for p in corpus_files()}
    expected = {b.name for b in KNOWN_BUGS if b.searchable or b.witness is not None}
    missing = sorted(expected - have)
    assert not missing, "no corpus trace for: " + ", ".join(missing)


def test_every_note_has_its_trace() -> None:
    stems = {_stem(p) for p in corpus_files()}
    orphans = [p.name for p in CORPUS.glob("*.md") if p.name != "README.md" and p.stem not in stems]
    assert not orphans, f"explanations without a trace: {orphans}"


def test_regenerate_writes_a_replayable_corpus_trace(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ackcheck.app.corpus import main

    result = CliRunner().invoke(main, ["--bug", "nats-2.12.1--ack-implies-durable",
                                       "--budget", "30", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "nats-2.12.1--ack-implies-durable.json.gz"
    assert "write teaching notes: nats-2.12.1--ack-implies-durable.md" in result.output
    trace = load_trace(path)
    assert trace.preset == "nats-2.12.1"
    assert trace.violation is not None and trace.violation.property == "ack-implies-durable"
    report = replay_in_sim(trace)
    assert report.digest_matches and report.reproduces


def test_regenerate_rejects_an_unknown_preset(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ackcheck.app.corpus import main

    result = CliRunner().invoke(main, ["--preset", "nope", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown preset 'nope'" in result.stderr


def test_rerecord_rewrites_a_stale_recording_of_the_same_schedule(tmp_path: Path) -> None:
    """``regenerate_corpus --rerecord`` keeps the schedule and refreshes the recording:
    a trace whose recorded digest no longer matches is rewritten so that it matches, and
    a current one is left byte for byte."""
    import attrs

    from ackcheck.app.corpus import rerecord_one
    from ackcheck.traces.store import events_digest, save_trace

    source = next(p for p in corpus_files() if "nats-2.12.1--" in p.name)
    current = tmp_path / "current.json.gz"
    current.write_bytes(source.read_bytes())
    assert rerecord_one(current) == "current.json.gz: unchanged"
    assert current.read_bytes() == source.read_bytes()

    # as an older simulator would have recorded it: other events, their own digest
    old = load_trace(source)
    events = old.events[:-1]
    stale = save_trace(attrs.evolve(old, history=attrs.evolve(old.history, events=events),
                                    digest=events_digest(events)), tmp_path / "stale.json.gz")
    assert "re-recorded" in rerecord_one(stale)
    fresh = load_trace(stale)
    assert fresh.schedule == load_trace(source).schedule
    assert replay_in_sim(fresh).digest_matches
    assert stale.read_bytes() == source.read_bytes()
