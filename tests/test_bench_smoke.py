"""The bench machinery on a tiny room, so the benches keep working as the server changes.

Each bench runs against real servers (ours and the bare anchor) with a handful of clients and
must come back with its figures; nothing here looks at how fast anything was.
"""

import asyncio

import pytest
import importlib.util
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import board_actions  # noqa: E402
import commit  # noqa: E402
import common  # noqa: E402
import fanout  # noqa: E402
import join_storm  # noqa: E402
import light  # noqa: E402
import loadgen  # noqa: E402
import latency  # noqa: E402
import memory  # noqa: E402
import machines  # noqa: E402
import plenary  # noqa: E402
import plenary_pg  # noqa: E402
import rename  # noqa: E402
import stall  # noqa: E402

# bench/run.py would shadow the project's run.py (which other tests import as "run").
_spec = importlib.util.spec_from_file_location("bench_runner", BENCH / "run.py")
bench_runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_runner)


def figures(result: dict, *keys: str) -> dict:
    row = result["results"][0]
    for key in keys:
        assert isinstance(row[key], (int, float)), (key, row[key])
    return row


@pytest.mark.parametrize("deflate", [False, True])
def test_fanout_counts_frames_and_cpu_on_both_servers(deflate):
    result = asyncio.run(fanout.measure(sizes=(3,), repeats=1, rate=10.0, seconds=0.5, deflate=deflate))
    row = figures(result, "ours_us_per_frame", "anchor_us_per_frame")
    for side in ("ours", "anchor"):
        # 5 notes reach 3 participants + console + projector (ours) or 5 clients (anchor).
        assert row["runs"][side][0]["frames"] >= 5 * 5
    assert result["frame_sizes"]["frame_bytes"] > 200


def test_latency_times_every_delivery_but_the_senders_own():
    result = asyncio.run(latency.measure(cases=((3, 10.0),), repeats=1, seconds=0.5))
    row = figures(result, "ours_p50_ms", "ours_p99_ms", "anchor_p50_ms", "anchor_p99_ms", "p99_ratio")
    for side in ("ours", "anchor"):
        run_ = row["runs"][side][0]
        assert run_["samples"] == run_["expected"] == 5 * 4


def test_plenary_sees_every_vote_in_the_tallies():
    result = asyncio.run(plenary.measure(phones=6, rate=10.0, seconds=0.6, repeats=1))
    row = figures(result, "p50_ms", "p99_ms", "frames_per_s")
    assert row["refused"] == 0 and row["unseen"] == 0
    assert row["runs"][0]["samples"] == 6 * 5


def test_plenary_on_postgres_splits_the_phones_between_two_machines(postgres):
    broker = machines.Redis().start()
    try:
        # 60 phones: the 50 observers, and 10 light phones that vote too.
        result = asyncio.run(plenary_pg.measure(machines.Database(cluster=postgres), ["two"], broker,
                                                phones=60, rate=40.0, seconds=2.0, repeats=1, light_phones=True))
    finally:
        broker.kill()
    row = figures(result, "p50_ms", "p99_ms", "frames_per_s")
    # Every vote, made through either machine by any phone, reaches the observers on both.
    by_observers = sum(1 for k in range(80) if k % 60 < 50)
    assert row["refused"] == 0 and row["unseen"] == 0
    assert row["runs"][0]["samples"] == 80 * 50 - by_observers
    assert row["machines"] == 2 and row["server_log"] == []
    assert set(row["cpu"]) == {"machine 1", "machine 2", "postgres", "redis"} and row["cpu"]["postgres"] is not None


def test_a_light_phone_is_served_as_a_phone_answers_pings_and_sees_its_refusals(tmp_path):
    async def scenario():
        # Pings every half second, and a phone that leaves one unanswered that long is closed.
        with common.ours(tmp_path / "light.db", extra=("--send-timeout", "1")) as server:
            room = await loadgen.open_workshop(server.port)
            cookies = await loadgen.join_many(room, 2)
            phone_spec, reader_spec = loadgen.participant_specs(room, cookies)
            phone = await light.open_light(**phone_spec)
            first = await asyncio.wait_for(phone.first_frame, 10)
            reader = (await loadgen.open_many([reader_spec]))[0]
            refusals, got = [], []
            phone.on_frame = lambda conn, frame, now: refusals.append(frame)
            reader.on_frame = lambda conn, frame, now: got.append(frame)
            await asyncio.sleep(2.0)
            open_after_pings = phone.closed_code
            await phone.send({**room.note(1), "op": "light-1"})
            await phone.send({"type": "note.add", "board": "b999", "text": "?", "op": "light-2"})
            await loadgen.wait_until(lambda: refusals and any("mk1z" in f for f in got), 10)
            frames = phone.frames
            await phone.close()
            await loadgen.close_all([reader])
            return first, open_after_pings, refusals, got, frames

    first, open_after_pings, refusals, got, frames = asyncio.run(scenario())
    assert 'id="stage"' in first
    assert open_after_pings is None, "a phone that answers the pings stays open"
    assert any("mk1z" in frame for frame in got), "the light phone's note reached the other phone"
    assert len(refusals) == 1 and 'data-refused="light-2"' in refusals[0]
    # The first render, the other phone's arrival, the acknowledgement and the refusal at least.
    assert frames >= 3


def test_board_actions_times_every_action_on_every_view_in_both_rooms():
    result = board_actions.measure((4, 12))
    assert {(r["action"], r["view"]) for r in result["results"]} == {
        (action, view) for action in ("ideas", "allocation", "rating") for view in board_actions.VIEWS}
    for row in result["results"]:
        figures({"results": [row]}, "ms", "anchor_ms", "ratio")
        assert (row["people"], row["anchor_people"]) == (12, 4)


def test_memory_reads_both_servers_resident_size():
    result = asyncio.run(memory.measure(n=4, repeats=1))
    row = figures(result, "ours_kib", "anchor_kib")
    assert row["runs"]["ours"][0]["rss_before_mb"] > 10


def test_join_storm_gives_every_phone_its_first_render():
    result = asyncio.run(join_storm.measure(phones=5, repeats=1, console_phones=3))
    phones_only, with_console, back = result["results"]
    for row in result["results"]:
        figures({"results": [row]}, "ours_total_s", "anchor_total_s", "ratio")
        # The first render carries the seeded notes, so the anchor was asked for a frame that large.
        assert row["first_bytes"] > join_storm.SEED_NOTES * 100
    assert (phones_only["phones"], with_console["phones"], with_console["console"]) == (5, 3, True)
    assert (back["phones"], back["back"], phones_only["back"]) == (5, True, False)
    # The stack's floor stands beside the storms of phones alone, joining and coming back.
    for row in (phones_only, back):
        figures({"results": [row]}, "floor_total_s", "floor_ratio", "floor_anchor_ratio")
        assert row["runs"]["floor"][0]["served"] == 5
    assert "floor_total_s" not in with_console
    assert [(r["figure"], r["case"]) for r in bench_runner.lines({"join_storm": result})] == [
        ("5 join storm", "N=5"), ("5 join storm/floor", "N=5"), ("5 join storm", "N=3 + console"),
        ("5 join storm", "N=5 back"), ("5 join storm/floor", "N=5 back")]


def test_commit_times_both_sides():
    figures(commit.measure(commits=5, repeats=1), "ours_p50_ms", "anchor_p50_ms")


def test_commit_times_postgres_beside_sqlite(postgres):
    result = commit.measure(commits=5, repeats=1, postgres=postgres.new_database())
    figures(result, "ours_p50_ms", "postgres_p50_ms", "postgres_p50_ratio")


def test_stall_takes_real_snapshots_and_times_acks(monkeypatch):
    monkeypatch.setattr(stall, "CLIENTS", 6)
    monkeypatch.setattr(stall, "SENDERS", 2)
    monkeypatch.setattr(stall, "RATE", 10.0)
    monkeypatch.setattr(stall, "TIE_SOCKETS", 3)
    result = asyncio.run(stall.measure(actors=20, repeats=1, baseline_s=0.5))
    # A 20-actor analysis may be over before any note or ping falls inside it: only the quiet
    # figures and the analysis itself are sure to exist.
    row = figures(result, "baseline_p99_ms", "lag_baseline_p99_ms", "analysis_s")
    assert row["first_snapshot"]["baseline"]["acks"] > 0


def test_rename_times_the_movers_with_and_without_the_renamer(monkeypatch):
    monkeypatch.setattr(rename, "ACTORS", 20)
    monkeypatch.setattr(rename, "MOVERS", 2)
    monkeypatch.setattr(rename, "WATCHERS", 2)
    result = asyncio.run(rename.measure(repeats=1, seconds=0.5))
    for side in ("anchor", "renaming"):
        assert isinstance(result["result"][side]["p50_ms"], float), result["result"]
        assert result["result"][side]["watcher_bytes_per_s"] > 0
    assert [r["figure"] for r in bench_runner.lines({"rename": result})] == ["9 rename ack p50", "9 rename kB/s/phone"]


def test_combined_table_reads_every_bench_json(tmp_path, capsys):
    fake = {
        "fanout": {"results": [{"clients": 5, "ours_us_per_frame": 30.0, "anchor_us_per_frame": 20.0,
                                "ratio": 1.5, "goal_ratio": 1.3, "met": False}]},
        "bench_analysis": {"results": [{"actors": 100, "ties": 300, "analyse_s": 0.1, "anchor_s": 0.2,
                                        "sources": None, "goal_s": None}]},
        "live_exports": {"actors": 2000, "lag_busy": {"p99_ms": 40.0}, "lag_idle": {"p99_ms": 20.0},
                         "ack_busy": {"p99_ms": 80.0}, "ack_idle": {"p99_ms": 30.0}},
    }
    rows = bench_runner.lines(fake)
    assert [r["verdict"] for r in rows] == ["MISSED", "—", "met", "MISSED"]
    assert [(r["figure"], r["ratio"]) for r in rows[2:]] == [("8 loop lag p99", "2.00x"),
                                                              ("8 ack p99 (exports)", "2.67x")]
    bench_runner.print_combined(rows, "table")
    assert "1 fan-out CPU/frame" in capsys.readouterr().out
    written = common.write_json("all", {"table": rows}, tmp_path)
    assert json.loads(written.read_text())["table"][0]["ratio"] == "1.50x"


def test_a_storm_that_outlasts_its_cap_is_stopped_and_marked():
    result = asyncio.run(join_storm.measure(phones=5, repeats=1, console_phones=3, cap=0.001))
    for row in result["results"]:
        assert row["censored"] is True
        assert row["ours_total_s"] == 0.001
