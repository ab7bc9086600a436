"""``kubeward fix``."""

from __future__ import annotations

import sys

import click

from kubeward.cli.common import (DEFAULT_FAIL_ON, build_options, emit_report, report_options,
                                 with_usage_errors)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@report_options
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff of the fixes and write nothing.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply fixes that may change how a workload behaves "
                   "(privileged, runAsNonRoot, readOnlyRootFilesystem, host namespaces, ...).")
@click.option("--force-write", is_flag=True,
              help="Also replace read-only files, files with other hard links (the link is "
                   "split) and symlinked files whose target is outside the given paths.")
@with_usage_errors
def fix(paths, outputs, config_path, frameworks, k8s_version, fail_on, checks, skip_checks,
        show_suppressed, color, show_diff, unsafe_fixes, force_write):
    """Fix findings in place, keeping comments and layout.

    Applies the safe fixes of the findings in PATH... (files or directories);
    --unsafe-fixes adds the unsafe ones; display-only fixes are left as
    suggestions in the report. Suppressed findings are not fixed, and a fix
    whose result the API server would reject is held back. Each file is
    rewritten atomically, only when something in it changed and only if it
    did not change on disk meanwhile. Afterwards the files are scanned again
    and the command exits like `kubeward scan` on what remains (with --diff:
    on what would remain); 2 also when a file could not be written.
    """
    from kubeward.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
    from kubeward.cli.progress import Phases
    from kubeward.findings import Severity
    from kubeward.fix.run import fix_paths

    if "-" in paths:
        click.echo("kubeward: error: fix cannot rewrite standard input; give file or "
                   "directory paths", err=True)
        sys.exit(EXIT_ERROR)
    options = build_options(config_path=config_path, frameworks=frameworks,
                            k8s_version=k8s_version, checks=checks, skip_checks=skip_checks)
    bar = Phases()
    try:
        run = fix_paths(paths, options, unsafe=unsafe_fixes, write=not show_diff,
                        force_write=force_write, progress=bar.update)
    finally:
        bar.close()

    err = lambda msg: click.echo(msg, err=True)  # noqa: E731
    for line in fix_lines(run, show_diff):
        if line.startswith("\0"):
            sys.stdout.write(line[1:])
        else:
            err(line)
    summary = fix_summary(run, show_diff)
    after = run.after
    not_written = any(ff.error for ff in run.files)
    if not show_diff:
        code = emit_report(after, outputs, fail_on=fail_on, show_suppressed=show_suppressed,
                           color=color, config=options.config)
        err(summary)
        sys.exit(EXIT_ERROR if not_written else code)
    for e in after.errors:
        err(e.one_line())
    err(summary)
    cfg = options.config
    threshold = Severity.parse(fail_on or (cfg.fail_on.label if cfg.fail_on else DEFAULT_FAIL_ON))
    if after.errors or not_written:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if any(f.severity >= threshold for f in after.findings) else EXIT_OK)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def fix_lines(run, show_diff: bool) -> list[str]:
    """What ``kubeward fix`` prints before the report: per changed file one
    line (with --diff: its diff, marked by a leading NUL, for standard
    output), a line per file that was not written, each unfixable finding
    once with its reason, and one line for the unsafe fixes not applied."""
    out: list[str] = []
    verb = "would fix" if show_diff else "fixed"
    for ff in run.files:
        if ff.changed and show_diff:
            out.append("\0" + ff.diff())
        elif ff.written or (ff.changed and not ff.error):
            ids = ", ".join(sorted({f.check_id for f in ff.applied}))
            out.append(f"{ff.display}: {verb} {_plural(len(ff.applied), 'finding')}"
                       + (f" ({ids})" if ids else ""))
        if ff.error:  # one line for the file, not one per finding
            out.append(f"{ff.display}: {ff.error}")
    seen: set = set()
    for ff in run.files:
        for f, reason in [*ff.held, *ff.failed]:
            key = (f.check_id, f.file, f.doc_index, f.path)
            if key in seen or (ff.error and reason == ff.error):
                continue
            seen.add(key)
            out.append(f"{f.file}:{f.line}: not fixed {f.check_id} {f.field_path}: {reason}")
    unsafe: dict[str, int] = {}
    for f in run.skipped_unsafe:
        unsafe[f.check_id] = unsafe.get(f.check_id, 0) + 1
    if unsafe:
        parts = ", ".join(f"{cid} x{n}" if n > 1 else cid for cid, n in sorted(unsafe.items()))
        out.append(f"kubeward: unsafe fixes not applied (use --unsafe-fixes): {parts}")
    return out


def fix_summary(run, show_diff: bool) -> str:
    """The last line of ``kubeward fix``."""
    changed = [ff for ff in run.files if ff.changed and not ff.error]
    n_fixed = sum(len(ff.applied) for ff in run.files)
    summary = (f"kubeward: {'would fix' if show_diff else 'fixed'} "
               f"{_plural(n_fixed, 'finding')} in {_plural(len(changed), 'file')}")
    extras = []
    if run.held:
        extras.append(f"{len(run.held)} held back (the result would be invalid)")
    failed = [x for ff in run.files for x in ff.failed]
    if failed:
        extras.append(f"{len(failed)} could not be fixed")
    not_written = [ff for ff in run.files if ff.error]
    if not_written:
        extras.append(f"{_plural(len(not_written), 'file')} left unchanged (errors above)")
    if run.skipped_unsafe:
        extras.append(f"{_plural(len(run.skipped_unsafe), 'unsafe fix', 'unsafe fixes')} "
                      "not applied (--unsafe-fixes)")
    if run.suggestions:
        extras.append(f"{_plural(len(run.suggestions), 'suggestion')} in the report "
                      "(display-only)")
    return summary + (f"; {', '.join(extras)}" if extras else "")
