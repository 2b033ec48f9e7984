"""Replay: a saved trace reruns to the same digest and the same violation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from trace_samples import lossy_schedule, simulated_trace

from ackcheck.app._replay import build_config, replay_in_sim
from ackcheck.app._trace_commands import replay
from ackcheck.errors import ConfigError
from ackcheck.knobs import apply_overrides
from ackcheck.model import RaftConfig
from ackcheck.traces import load_trace, save_trace
from ackcheck.traces.store import dumps


@pytest.fixture(scope="module")
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    trace = simulated_trace()
    assert trace.violation is not None and trace.violation.property == "ack-implies-durable"
    return save_trace(trace, tmp_path_factory.mktemp("t") / "lossy.json.gz")


def test_round_trip_save_load_replay_same_digest(lossy: Path, tmp_path: Path) -> None:
    trace = load_trace(lossy)
    report = replay_in_sim(trace)
    assert report.digest == trace.digest
    assert report.digest_matches and report.reproduces and report.exit_code == 1
    # and once more through a plain-JSON copy of the loaded trace
    again = load_trace(save_trace(trace, tmp_path / "again.json"))
    assert again == trace
    assert replay_in_sim(again).digest == trace.digest


def test_the_same_run_gives_the_same_bytes(tmp_path: Path) -> None:
    a = save_trace(simulated_trace(), tmp_path / "a.json.gz").read_bytes()
    b = save_trace(simulated_trace(), tmp_path / "b.json.gz").read_bytes()
    assert a == b


def test_config_object_is_the_model_config(lossy: Path) -> None:
    trace = load_trace(lossy)
    config = build_config(trace)[0]
    assert isinstance(config, RaftConfig)
    assert attrs.asdict(config) == dict(trace.config)
    assert build_config(trace, ["fsync=always"])[0].fsync == "always"


def test_cli_replay_reproduces_exit_1(lossy: Path) -> None:
    result = CliRunner().invoke(replay, [str(lossy)])
    assert result.exit_code == 1, result.output
    assert "digest matches" in result.output
    assert "violation reproduces: ack-implies-durable" in result.output


def test_cli_replay_with_changed_config_says_so_and_exits_0(lossy: Path) -> None:
    result = CliRunner().invoke(replay, [str(lossy), "--set", "fsync=always",
                                         "--set", "leader_ack=quorum-and-local-fsync",
                                         "--set", "follower_ack=after-fsync"])
    assert "digest differs (config changed)" in result.output
    assert "MISMATCH" not in result.output
    assert "violation no longer reproduces: ack-implies-durable holds" in result.output
    assert result.exit_code == 0


def test_cli_replay_bad_override_is_exit_2(lossy: Path) -> None:
    for bad in ("nonsense=1", "fsync", "heartbeat=soon"):
        result = CliRunner().invoke(replay, [str(lossy), "--set", bad])
        assert result.exit_code == 2, (bad, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("ackcheck: error: ")


def test_cli_replay_real_cluster_options_need_nats(lossy: Path) -> None:
    for option in (["--repeat", "3"], ["--keep"], ["--time-scale", "2"], ["--pipeline", "4"],
                   ["--log-files", "wal"]):
        result = CliRunner().invoke(replay, [str(lossy), *option])
        assert result.exit_code == 2, option
        assert "only apply with --nats VERSION" in result.stderr, option


def test_a_recording_by_another_simulator_is_a_mismatch(lossy: Path, tmp_path: Path) -> None:
    from ackcheck.traces.store import events_digest

    trace = load_trace(lossy)
    events = trace.events[:-1]  # other events, with their own digest: not this simulator's
    digest = events_digest(events)
    other = attrs.evolve(trace, history=attrs.evolve(trace.history, events=events),
                         digest=digest)
    result = CliRunner().invoke(replay, [str(save_trace(other, tmp_path / "x.json"))])
    assert f"digest MISMATCH: recorded {digest[:16]}" in result.output
    assert result.exit_code == 1  # the violation itself still reproduces


def test_a_recording_of_an_older_format_names_both_versions() -> None:
    from ackcheck.app._replay import ReplayReport
    from ackcheck.traces import FORMAT_VERSION

    older = ReplayReport(recorded_digest="a" * 64, digest="b" * 64, config_changed=False,
                         expected=None, violations=(), recorded_version="1.0")
    assert older.lines()[0] == (
        f"digest differs: recorded {'a' * 16} by trace format 1.0, replayed {'b' * 16} by "
        f"{FORMAT_VERSION} (the simulator changed between them: docs/traces.md, version "
        "history)"
    )
    same = attrs.evolve(older, recorded_version=FORMAT_VERSION)
    assert same.lines()[0].startswith("digest MISMATCH")


def test_replay_of_a_run_that_held_exits_0(tmp_path: Path) -> None:
    trace = simulated_trace(preset="raft")
    assert trace.violation is None
    path = save_trace(trace, tmp_path / "clean.json")
    result = CliRunner().invoke(replay, [str(path)])
    assert result.exit_code == 0, result.output
    assert "digest matches" in result.output and "no property violated" in result.output


def test_replay_through_the_ackcheck_command(lossy: Path, tmp_path: Path) -> None:
    """The lead's ``ackcheck`` mounts our commands: same exit codes from a real process."""
    run = [sys.executable, "-m", "ackcheck.app.cli"]
    ok = subprocess.run([*run, "replay", str(lossy)], capture_output=True, text=True,
                        timeout=120, check=False)
    assert ok.returncode == 1, ok.stderr
    assert "violation reproduces" in ok.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    fail = subprocess.run([*run, "show", str(bad)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert fail.returncode == 2
    assert len(fail.stderr.strip().splitlines()) == 1 and "not JSON" in fail.stderr
    shown = subprocess.run([*run, "show", str(lossy), "--format", "edn"], capture_output=True,
                           text=True, timeout=120, check=False)
    assert shown.returncode == 0 and ":f :add" in shown.stdout


def test_nats_replay_is_handed_to_the_harness(
    lossy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ackcheck.harness
    from ackcheck.harness import RunOptions

    calls = []

    class FakeReport:
        exit_code = 1

        def render(self) -> str:
            return "real cluster: lost 3 acked writes in 2 of 2 runs"

    def fake(trace, version, *, config, repeat, keep, options, on_run=None):  # type: ignore[no-untyped-def]
        calls.append((trace.schedule, version, config, repeat, keep, options))
        return FakeReport()

    monkeypatch.setattr(ackcheck.harness, "replay_on_nats", fake, raising=False)
    result = CliRunner().invoke(replay, [str(lossy), "--nats", "2.12.1", "--repeat", "2",
                                         "--keep", "--set", "fsync=10s", "--time-scale", "2",
                                         "--pipeline", "4", "--log-files", "wal"])
    assert result.exit_code == 1, result.output
    assert "real cluster: lost 3 acked writes" in result.output
    expected_config = build_config(load_trace(lossy), ["fsync=10s"])[1]
    assert expected_config["fsync"] == "10s"  # parsed by the model, as for the sim replay
    assert calls == [(lossy_schedule(), "2.12.1", expected_config, 2, True,
                      RunOptions(time_scale=2.0, pipeline=4, log_parts=("wal",)))]
    calls.clear()
    result = CliRunner().invoke(replay, [str(lossy), "--nats", "latest"])
    assert result.exit_code == 1, result.output
    assert calls == [(lossy_schedule(), "latest", dict(load_trace(lossy).config), 1, False,
                      RunOptions())]


def test_nats_replay_rejects_a_bad_knob_before_any_cluster_starts(lossy: Path) -> None:
    result = CliRunner().invoke(replay, [str(lossy), "--nats", "2.12.1", "--set",
                                         "fsync=sometimes"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "fsync" in result.stderr


def test_overrides_for_a_custom_node_follow_the_recorded_types() -> None:
    config = {"sync": True, "batch": 3, "ratio": 0.5, "mode": "fast", "limit": None}
    out = apply_overrides(config, ["sync=false", "batch=7", "ratio=0.25", "mode=slow",
                                   "limit=12"])
    assert out == {"sync": False, "batch": 7, "ratio": 0.25, "mode": "slow", "limit": 12}
    with pytest.raises(ConfigError, match="unknown knob 'speed'"):
        apply_overrides(config, ["speed=1"])
    with pytest.raises(ConfigError, match="expected an integer"):
        apply_overrides(config, ["batch=many"])


def test_custom_node_config_stays_a_dict(lossy: Path) -> None:
    trace = attrs.evolve(load_trace(lossy), node="mypkg.nodes:MyNode", config={"batch": 3})
    config, as_dict = build_config(trace, ["batch=4"])
    assert config == as_dict == {"batch": 4}


def test_config_that_no_longer_fits_the_model_is_a_trace_error(lossy: Path, tmp_path: Path) -> None:
    doc = json.loads(dumps(load_trace(lossy)))
    doc["config"]["knob_from_the_future"] = 1
    path = tmp_path / "future.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(replay, [str(path)])
    assert result.exit_code == 2
    assert "does not fit this ackcheck's model" in result.stderr


def test_a_user_node_trace_round_trips_and_replays(user_node: str, tmp_path: Path) -> None:
    """Traces of a user's own node (a ``file.py:Class`` ref) load and replay too."""
    from ackcheck.app._runner import run_once
    from ackcheck.schedule import Crash, Schedule, TimedFault
    from ackcheck.traces import make_trace

    schedule = Schedule(nodes=3, seed=3, faults=(TimedFault(0, Crash(1)),))
    outcome = run_once({}, schedule, node=user_node, properties=["ack-implies-durable"])
    trace = make_trace(preset=None, overrides=(), config={}, node=user_node, schedule=schedule,
                       properties=["ack-implies-durable"],
                       violation=outcome.violations[0] if outcome.violations else None,
                       history=outcome.history, digest=outcome.digest)
    path = save_trace(trace, tmp_path / "user.json")
    assert load_trace(path) == trace
    result = CliRunner().invoke(replay, [str(path), "--allow-node", user_node])
    assert "digest matches" in result.output
    assert result.exit_code == (1 if outcome.violations else 0)
