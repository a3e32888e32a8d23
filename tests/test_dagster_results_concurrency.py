"""Several processes write results while another reads through DuckDB: never a lock error."""
import multiprocessing as mp
import time

from sopilot_resources.storage import ResultsStore

WRITERS, ROWS_EACH = 4, 25


def _writer(root: str, w: int) -> None:
    rs = ResultsStore(f"{root}/results", f"{root}/sopilot.duckdb")
    rs.ensure_views()  # every run may call it; must not fight over the DuckDB file
    for i in range(ROWS_EACH):
        key = f"task/w{w}-{i}__vs__gold"
        rs.write("scores", key, [{"pair_key": key, "task": "task", "trainee_file": f"w{w}-{i}.mp4",
                                  "gold_file": "gold.mp4", "score": float(i), "verdict": "pass"}])
        rs.write("scores", key, [{"pair_key": key, "task": "task", "trainee_file": f"w{w}-{i}.mp4",
                                  "gold_file": "gold.mp4", "score": float(i), "verdict": "pass"}])


def test_concurrent_writers_and_reader_never_lock(tmp_path):
    rs = ResultsStore(tmp_path / "results", tmp_path / "sopilot.duckdb")
    rs.ensure_views()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    seen = []
    import duckdb

    while any(p.is_alive() for p in procs):
        con = duckdb.connect(str(tmp_path / "sopilot.duckdb"), read_only=True)  # a person's query
        try:
            seen.append(con.execute("SELECT count(*), count(DISTINCT pair_key) FROM scores").fetchone())
        finally:
            con.close()
        time.sleep(0.01)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert all(n == d for n, d in seen)  # a rewritten partition never shows twice
    final = rs.query("SELECT count(*) AS n, count(DISTINCT pair_key) AS d FROM scores")[0]
    assert final == {"n": WRITERS * ROWS_EACH, "d": WRITERS * ROWS_EACH}
