"""The inbox sensor's cursor (sopilot_assets/sensor_cursor.py): each transition as a pure
function of the cursor, its arguments and ``now``; the JSON round trip; a cursor saved by an
earlier release read back as it was; an unreadable one replaced, and said so."""
from __future__ import annotations

import json

from sopilot_assets.sensor_cursor import Batch, InboxCursor, Retry


def roundtrip(cur: InboxCursor) -> InboxCursor:
    back, unreadable = InboxCursor.parse(cur.dumps())
    assert not unreadable
    return back


def test_a_fresh_cursor_and_an_unreadable_one():
    assert InboxCursor.parse(None) == (InboxCursor(), False)
    assert InboxCursor.parse("") == (InboxCursor(), False)
    assert InboxCursor.parse("{not json") == (InboxCursor(), True)
    assert InboxCursor.parse('{"batches": {"rk": {"keys": []}}}') == (InboxCursor(), True)  # no kind
    assert InboxCursor.parse("[1, 2]") == (InboxCursor(), True)


def test_a_cursor_an_earlier_release_saved_reads_back_as_it_was():
    old = {"v": 1, "stability": {"t/trainee/a.mp4": {"size": 5}}, "failures": {"x": 2}, "announced_seq": 7,
           "inflight": {"p1": 10.0}, "blocked": {"p2": "gold flagged"}, "checked": {"p3": 4.0},
           "batches": {"videos:a..b(2)": {"kind": "video", "keys": ["a", "b"], "since": 3.0, "running": True}},
           "retry": {"video:a": {"n": 1, "at": 99.0}, "pair:p": {"n": 3, "gave_up": True}, "video:b": {"n": 2}},
           "runs_seen": 12.5, "runs_noted": ["r1"], "dagster_retry": {"r2": ["video", "a", 5.0]},
           "disk": {"low": True, "reported": 8.0}, "swept_at": 6.0}
    cur, unreadable = InboxCursor.parse(json.dumps(old))
    assert not unreadable
    assert cur.batches == {"videos:a..b(2)": Batch("video", ["a", "b"], 3.0, True)}
    assert cur.retry == {"video:a": Retry(1, 99.0), "pair:p": Retry(3, None, True), "video:b": Retry(2)}
    assert cur.disk.low and cur.announced_seq == 7 and cur.stability == old["stability"]
    assert json.loads(cur.dumps()) == {**old, "space_back": False}  # the same shape written back
    assert roundtrip(cur) == cur


def test_tracked_runs():
    cur = InboxCursor()
    cur.track("video", "rk1", ("a", "b"), now=1.0)
    cur.track("pair", "rk2", ["p"], now=2.0)
    assert cur.in_flight("video") == set()  # requested, not seen running yet
    cur.batches["rk1"].running = True
    assert cur.in_flight("video") == {"a", "b"} and cur.in_flight("pair") == set()
    assert cur.tracked() == {"video:a", "video:b", "pair:p"}
    assert roundtrip(cur).batches == cur.batches


def test_announced_never_goes_back():
    cur = InboxCursor()
    cur.announced(5)
    cur.announced(3)
    assert cur.announced_seq == 5


def test_pair_transitions():
    cur = InboxCursor()
    cur.pair_requested("p", now=10.0)
    assert cur.inflight == {"p": 10.0}
    assert cur.block("p", "gold flagged") and not cur.block("p", "gold flagged")  # news once
    assert cur.block("p", "run failed")  # another reason is news again
    cur.pair_requested("p", now=20.0)  # requested again: no longer blocked
    assert cur.blocked == {} and cur.inflight == {"p": 20.0}
    cur.block("q", "why")
    cur.checked.update({"q": 1.0, "r": 2.0, "p": 3.0})
    cur.keep_pairs({"p", "q"})
    assert cur.inflight == {"p": 20.0} and cur.blocked == {"q": "why"} and cur.checked == {"q": 1.0}
    cur.pair_done("p")
    assert "p" not in cur.inflight and "p" not in cur.blocked


def test_retry_backoff_until_given_up():
    cur = InboxCursor()
    assert cur.schedule_retry("video:a", now=100.0, max_retries=2, backoff_sec=60) == (60, False)
    assert cur.take_due("video:a", now=159.0) is False
    assert cur.take_due("video:a", now=160.0) is True and cur.retry["video:a"].at is None
    assert cur.take_due("video:a", now=999.0) is False  # taken once
    assert cur.retry_started("video:a") == 1
    assert cur.schedule_retry("video:a", now=200.0, max_retries=2, backoff_sec=60) == (120, False)
    assert cur.retry_started("video:a") == 2
    assert cur.schedule_retry("video:a", now=300.0, max_retries=2, backoff_sec=60) == (None, True)
    assert cur.schedule_retry("video:a", now=400.0, max_retries=2, backoff_sec=60) == (None, False)  # said once
    assert cur.retry["video:a"].gave_up
    assert json.loads(cur.dumps())["retry"]["video:a"] == {"n": 2, "at": 320.0, "gave_up": True}


def test_retry_now_makes_the_scheduled_ones_due_and_a_dropped_again_video_starts_over():
    cur = InboxCursor()
    cur.schedule_retry("video:a", now=0.0, max_retries=3, backoff_sec=60)
    cur.retry["pair:p"] = Retry(3, None, True)
    cur.retry["video:c"] = Retry(1)  # running, nothing scheduled
    cur.retry_now()
    assert cur.retry["video:a"].at == 0.0 and cur.retry["pair:p"].at is None and cur.retry["video:c"].at is None
    cur.retry["video:b"] = Retry(3, None, True)
    cur.retry_now("b")
    assert cur.retry["video:b"] == Retry(0, 0.0) and cur.take_due("video:b", now=1.0)


def test_files_handed_to_intake_runs_are_handed_again_only_when_something_changed():
    from pathlib import Path

    from sopilot_resources.storage.inbox import InboxEntry

    a = InboxEntry(path=Path("/i/t/trainee/a.mp4"), rel="t/trainee/a.mp4", kind="video", size=5, mtime_ns=1)
    b = InboxEntry(path=Path("/i/t/gold/g.steps.json"), rel="t/gold/g.steps.json", kind="sidecar", size=9, mtime_ns=2)
    cur = InboxCursor(stability={a.rel: [5, 1, 0.0], b.rel: [9, 2, 0.0]})
    assert cur.to_offer([a, b], 100.0, 60.0) == [a, b]  # never offered
    cur.offer([a, b], 100.0)
    assert cur.to_offer([a, b], 130.0, 60.0) == []  # just handed over: left alone
    assert cur.to_offer([a, b], 130.0, 60.0, failures={a.rel: 1}) == [a]  # its run failed on it: at once
    grown = InboxEntry(path=a.path, rel=a.rel, kind="video", size=6, mtime_ns=3)
    assert cur.to_offer([grown, b], 130.0, 60.0) == [grown]  # new bytes
    assert cur.to_offer([a, b], 160.0, 60.0) == [a, b]  # still there a minute later (waiting for something)
    cur.stability.pop(a.rel)  # gone from the inbox: forgotten at the next offer
    cur.offer([b], 160.0, failures={b.rel: 2})
    assert cur.offered == {b.rel: [9, 2, 160.0, 2]}
    assert roundtrip(cur).offered == cur.offered


def test_a_followed_run_is_settled_from_its_runs_states():
    cur = InboxCursor()
    cur.track("video", "two", ["a", "b"], 0.0)
    cur.track("video", "one", ["c"], 0.0)
    cur.track("video", "lost", ["d"], 0.0)
    assert not cur.settle_batch("two", [], 10.0, 600.0) and "two" in cur.batches  # not created yet
    assert not cur.settle_batch("lost", [], 601.0, 600.0) and "lost" not in cur.batches  # never created
    assert not cur.settle_batch("two", [(True, False), (False, False)], 20.0, 600.0)  # a retry still goes
    assert cur.batches["two"].running and cur.in_flight("video") == {"a", "b"}
    assert cur.settle_batch("two", [(True, False), (True, False)], 30.0, 600.0)  # all failed: split it
    assert "two" not in cur.batches
    assert not cur.settle_batch("one", [(True, False)], 30.0, 600.0) and not cur.batches  # one key: retried as is
    cur.track("video", "ok", ["e", "f"], 0.0)
    assert not cur.settle_batch("ok", [(True, False), (True, True)], 40.0, 600.0) and not cur.batches


def test_a_retry_dagster_promised_is_taken_over_once_overdue():
    cur = InboxCursor()
    cur.await_dagster_retry("r1", "video", "a", 100.0)
    cur.await_dagster_retry("r2", "pair", "p", 150.0)
    assert cur.overdue_dagster_retries(159.0, 60.0) == []
    assert cur.overdue_dagster_retries(160.0, 60.0) == [("r1", "video", "a")]
    assert list(cur.dagster_retry) == ["r2"] and cur.overdue_dagster_retries(210.0, 60.0) == [("r2", "pair", "p")]
    assert roundtrip(cur) == cur and cur.overdue_dagster_retries(1e9, 60.0) == []
    cur.retry["video:x"] = Retry(1, 5.0)
    cur.forget_retry("video:x")
    cur.forget_retry("video:never")
    assert cur.retry == {}


def test_a_pair_waiting_for_its_videos_is_looked_at_once_per_interval():
    cur = InboxCursor()
    assert not cur.inputs_overdue("p", 100.0, 300.0) and cur.checked == {"p": 100.0}
    assert not cur.inputs_overdue("p", 400.0, 300.0)
    assert cur.inputs_overdue("p", 401.0, 300.0) and cur.checked == {"p": 401.0}  # the clock starts over
    assert not cur.inputs_overdue("p", 600.0, 300.0)
    cur.pair_retried("p", 700.0)
    assert cur.inflight == {"p": 700.0}


def test_free_space_seen_each_tick():
    cur = InboxCursor()
    assert cur.disk_seen(False, 10.0, 300.0) == (False, False)  # fine and was fine: nothing to record
    assert cur.disk_seen(True, 20.0, 300.0) == (True, False) and cur.disk.reported == 20.0
    assert cur.disk_seen(True, 320.0, 300.0) == (False, False)  # still low, said 300 s ago
    assert cur.disk_seen(True, 321.0, 300.0) == (True, False)  # repeated after the interval
    assert not cur.space_back
    assert cur.disk_seen(False, 330.0, 300.0) == (True, True) and cur.space_back and not cur.disk.low
    assert roundtrip(cur) == cur


def test_failed_runs_are_noted_once_and_the_look_back_moves_on():
    cur = InboxCursor()
    assert cur.note_failed_run("r1", 10.0) and cur.runs_seen == 10.0
    assert not cur.note_failed_run("r1", 10.0)  # the same run again (a timestamp's rounding)
    assert cur.note_failed_run("r2", 9.0) and cur.runs_seen == 10.0  # never goes back
    for k in range(60):
        cur.note_failed_run(f"x{k}", 20.0 + k)
    assert len(cur.runs_noted) == 50 and cur.runs_noted[-1] == "x59" and cur.runs_seen == 79.0


def test_space_back_is_taken_once_and_the_inbox_is_noted():
    cur = InboxCursor()
    assert not cur.take_space_back()
    cur.disk_seen(True, 1.0, 300.0)
    cur.disk_seen(False, 2.0, 300.0)
    assert cur.take_space_back() and not cur.take_space_back()
    cur.noticed({"t/trainee/a.mp4": {"size": 3}}, {"t/trainee/b.mp4": 1})
    cur.swept(5.0)
    back = roundtrip(cur)
    assert back.stability == {"t/trainee/a.mp4": {"size": 3}} and back.failures == {"t/trainee/b.mp4": 1}
    assert back.swept_at == 5.0
