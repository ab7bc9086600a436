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
@with_usage_errors
def fix(paths, outputs, config_path, frameworks, k8s_version, fail_on, checks, skip_checks,
        show_suppressed, color, rules, show_diff, unsafe_fixes):
    """Fix findings in place, keeping comments and layout.

    Applies the safe fixes of the findings in PATH... (files or directories);
    --unsafe-fixes adds the unsafe ones; display-only fixes are printed as
    suggestions. Suppressed findings are not fixed. Each file is rewritten
    atomically, and only when something in it changed. Afterwards the files
    are scanned again and the command exits like `kubeward scan` on what
    remains (with --diff: on what would remain).
    """
    from kubeward.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
    from kubeward.findings import Severity
    from kubeward.fix.run import fix_paths

    if "-" in paths:
        click.echo("kubeward: error: fix cannot rewrite standard input; give file or "
                   "directory paths", err=True)
        sys.exit(EXIT_ERROR)
    options = build_options(config_path=config_path, frameworks=frameworks,
                            k8s_version=k8s_version, checks=checks, skip_checks=skip_checks,
                            rules=rules)
    run = fix_paths(paths, options, unsafe=unsafe_fixes, write=not show_diff)

    err = lambda msg: click.echo(msg, err=True)  # noqa: E731
    for ff in run.files:
        if show_diff and ff.changed:
            sys.stdout.write(ff.diff())
        verb = "would fix" if show_diff else "fixed"
        if ff.applied or ff.failed:
            err(f"{ff.display}: {len(ff.applied)} {verb}, {len(ff.failed)} could not be fixed"
                + (" (not written)" if show_diff and ff.changed else ""))
        for f in ff.applied:
            err(f"{f.file}:{f.line}: {verb} {f.check_id} {f.field_path} ({f.fix_safety})")
        for f, reason in ff.failed:
            err(f"{f.file}:{f.line}: could not fix {f.check_id} {f.field_path}: {reason}")
        for f in ff.skipped_unsafe:
            err(f"{f.file}:{f.line}: unsafe fix not applied {f.check_id} {f.field_path} "
                "(use --unsafe-fixes)")
    for f in run.suggestions:
        err(f"{f.file}:{f.line}: suggestion {f.check_id} {f.field_path}: "
            f"{f.remediation or f.message}")
    changed = [ff for ff in run.files if ff.changed]
    n_fixed = sum(len(ff.applied) for ff in run.files)
    summary = (f"kubeward: {'would fix' if show_diff else 'fixed'} {n_fixed} finding"
               f"{'' if n_fixed == 1 else 's'} in {len(changed)} file"
               f"{'' if len(changed) == 1 else 's'}")
    extras = []
    if run.failed:
        extras.append(f"{len(run.failed)} could not be fixed")
    if run.skipped_unsafe:
        extras.append(f"{len(run.skipped_unsafe)} unsafe fixes not applied (--unsafe-fixes)")
    if run.suggestions:
        extras.append(f"{len(run.suggestions)} suggestions")
    err(summary + (f"; {', '.join(extras)}" if extras else ""))

    after = run.after
    if not show_diff:
        sys.exit(emit_report(after, outputs, fail_on=fail_on, show_suppressed=show_suppressed,
                             color=color, config=options.config))
    for e in after.errors:
        err(e.one_line())
    cfg = options.config
    threshold = Severity.parse(fail_on or (cfg.fail_on.label if cfg.fail_on else DEFAULT_FAIL_ON))
    if after.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if any(f.severity >= threshold for f in after.findings) else EXIT_OK)
