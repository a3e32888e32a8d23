"""What a scored pair leaves behind: its rows in DuckDB (deviations, steps, scores) and the
markdown / table metadata people read on the ``pair_score`` page."""

import datetime as dt

import dagster as dg

from .common import md_image


def deviation_table(devs: list[dict]) -> dg.MetadataValue:
    def span(x):
        return f"{x['start_sec']:.1f}-{x['end_sec']:.1f}" if x else ""

    return dg.MetadataValue.table(
        records=[dg.TableRecord({"type": d["type"], "gold_step": "" if d["gold_step"] is None else str(d["gold_step"] + 1),
                                 "step_name": d["gold_step_name"] or "", "gold_time": span(d["gold_time"]),
                                 "trainee_time": span(d["trainee_time"]), "severity": d["severity"],
                                 "penalty": float(d["penalty"]), "message": d["message"]}) for d in devs],
        schema=dg.TableSchema(columns=[
            dg.TableColumn("type", "string"), dg.TableColumn("gold_step", "string"),
            dg.TableColumn("step_name", "string"), dg.TableColumn("gold_time", "string"),
            dg.TableColumn("trainee_time", "string"), dg.TableColumn("severity", "string"),
            dg.TableColumn("penalty", "float"), dg.TableColumn("message", "string")]))


def report_md(doc: dict, trainee, gold, apic, tpic) -> str:
    lines = [f"## {trainee.file_name}: {doc['score']:.1f} - **{doc['verdict']}**",
             f"against gold `{gold.file_name}`", ""]
    for d in doc["deviations"]:
        lines.append(f"- **{d['type']}** ({d['severity']}, -{d['penalty']:.1f}): {d['message']}")
    if not doc["deviations"]:
        lines.append("- no deviations")
    lines += ["", "### Step timeline", md_image(tpic, "step timeline"), "", "### Alignment", md_image(apic.with_suffix(".jpg"), "alignment")]
    return "\n".join(lines)


def write_score_rows(results_store, pair, gold, trainee, doc, ekey, pfp, run_id) -> None:
    """Replaces the pair's rows in deviations, steps and (last) scores; ``doc`` is
    ``ScoreResult.to_dict()``. Also used by the idle-time rescoring."""
    rs = results_store.store()
    now = dt.datetime.now(dt.timezone.utc)
    base = {"pair_key": pair.key, "task": pair.task, "trainee_file": trainee.file_name, "gold_file": gold.file_name}
    devs = doc["deviations"]

    def t(x, k):
        return None if not x else x[k]

    rs.write("deviations", pair.key, [{
        **base, "idx": i, "type": d["type"], "gold_step": d["gold_step"], "gold_step_name": d["gold_step_name"],
        "gold_start_sec": t(d["gold_time"], "start_sec"), "gold_end_sec": t(d["gold_time"], "end_sec"),
        "trainee_start_sec": t(d["trainee_time"], "start_sec"), "trainee_end_sec": t(d["trainee_time"], "end_sec"),
        "severity": d["severity"], "confidence": d["confidence"], "penalty": d["penalty"],
        "message": d["message"], "scored_at": now} for i, d in enumerate(devs)])
    rs.write("steps", f"pair/{pair.key}", [{
        "task": pair.task, "video_key": trainee.key, "pair_key": pair.key, "role": "trainee",
        "file_name": trainee.file_name, "step_index": s["index"], "name": s["name"],
        "start_sec": s["start_sec"], "end_sec": s["end_sec"], "critical": None,
        "source": "located" if s.get("found", True) else "not_found", "written_at": now}
        for s in doc["steps"]["trainee"]])
    # the score row last: its file's presence means the pair is complete
    rs.write("scores", pair.key, [{
        **base, "score": float(doc["score"]), "verdict": doc["verdict"], "scored_at": now,
        "trainee_key": trainee.key, "gold_key": gold.key, "gold_version": pair.gold_version,
        "n_deviations": len(devs), "n_critical": sum(d["severity"] == "critical" for d in devs),
        "penalty_total": float(sum(d["penalty"] for d in devs)), "embedder": ekey,
        "profile_fingerprint": pfp, "trainee_sha256": trainee.sha256, "gold_sha256": gold.sha256,
        "run_id": run_id}])
