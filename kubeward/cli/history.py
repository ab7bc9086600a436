"""``kubeward history``: the runs recorded with ``--history FILE``."""

from __future__ import annotations

import sys

import click

from kubeward.cli.main import EXIT_OK


@click.command("history")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--run", "run_id", type=int, metavar="ID",
              help="Show what this run introduced and fixed since the run before it "
                   "(default: only the list of runs).")
@click.option("--last", type=click.IntRange(1, None), metavar="N", help="Only the last N runs.")
def history(file, output, run_id, last):
    """List the runs recorded in FILE (scan/audit --history FILE): when, what,
    findings by severity, framework scores, and how many findings each run
    introduced and fixed since the previous one."""
    from kubeward.cli.common import fail
    from kubeward.history import HistoryError, compare, runs, view

    try:
        rows = runs(file)
        prev = None
        if last and len(rows) > last:  # compare only the runs shown
            prev, rows = rows[-last - 1]["id"], rows[-last:]
        for r in rows:
            introduced, fixed = compare(file, r["id"], prev)
            r["introduced"] = sum(d["count"] for d in introduced)
            r["fixed"] = sum(d["count"] for d in fixed)
            prev = r["id"]
        detail = None
        if run_id is not None:
            ids = [r["id"] for r in runs(file)]
            if run_id not in ids:
                fail(f"{file}: no run {run_id} (runs: {', '.join(map(str, ids)) or 'none'})")
            detail = view(file, run_id)
    except HistoryError as e:
        fail(str(e))
    if output == "json":
        from kubeward.outputs.json import dumps
        data = {"file": file, "runs": rows}
        if detail is not None:
            data.update({k: detail[k] for k in ("run", "previous", "introduced", "fixed")})
        sys.stdout.write(dumps(data))
        sys.exit(EXIT_OK)
    if not rows:
        click.echo(f"{file}: no run recorded")
    for r in rows:
        sev = ", ".join(f"{n} {k}" for k, n in r["bySeverity"].items() if n) or "none"
        scores = ", ".join(f"{k} {'n/a' if v is None else f'{v:.1f}%'}"
                           for k, v in r["scores"].items())
        click.echo(f"#{r['id']}  {r['started']}  {r['command']} {' '.join(r['inputs'])}".rstrip())
        click.echo(f"     {r['findings']} findings ({sev}); +{r['introduced']} introduced, "
                   f"-{r['fixed']} fixed" + (f"; scores: {scores}" if scores else ""))
    if detail is not None:
        since = f"run #{detail['previous']}" if detail["previous"] else "the start"
        for title, items in (("introduced", detail["introduced"]),
                             ("fixed", detail["fixed"])):
            click.echo(f"\nRun #{run_id}: {len(items)} {title} since {since}")
            for d in items:
                n = f" (x{d['count']})" if d["count"] > 1 else ""
                click.echo(f"  {d['checkId']} {d['severity']} {d['object']} {d['fieldPath']}{n}")
    sys.exit(EXIT_OK)
