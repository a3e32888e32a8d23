"""Several real processes at once, for the tests of what many writers may do together."""
from __future__ import annotations

import multiprocessing as mp


def run_together(target, args_list: list[tuple], timeout: float = 120.0) -> None:
    """One spawned process per ``args`` in ``args_list``, each called ``target(*args, start)``,
    released together by ``start`` (a shared Event) once all are up; asserts each exited 0."""
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(*args, start)) for args in args_list]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout)
        assert p.exitcode == 0, f"a writer process ended with {p.exitcode}"
