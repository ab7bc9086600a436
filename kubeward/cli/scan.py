"""``kubeward scan``."""

from __future__ import annotations

import sys

import click

from kubeward.cli.common import build_options, emit_report, report_options, with_usage_errors


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@report_options
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes for large scans.")
@click.option("--complete", is_flag=True,
              help="The input is the whole cluster: report references to objects not in it.")
@with_usage_errors
def scan(paths, outputs, config_path, frameworks, k8s_version, fail_on, checks, skip_checks,
         show_suppressed, color, jobs, complete):
    """Scan manifests: files, directories (recursive *.yaml, *.yml, *.json) or - for stdin."""
    from kubeward.engine import scan as run_scan

    options = build_options(config_path=config_path, frameworks=frameworks,
                            k8s_version=k8s_version, checks=checks, skip_checks=skip_checks,
                            jobs=jobs, complete=complete)
    report = run_scan(paths, options)
    extra = {}
    if report.frameworks:
        try:
            from kubeward.compliance import summarize
        except ImportError:
            summarize = None
        if summarize is not None:
            extra["compliance"] = summarize(report)
    sys.exit(emit_report(report, outputs, fail_on=fail_on, show_suppressed=show_suppressed,
                         color=color, config=options.config, extra=extra))
