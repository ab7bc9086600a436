"""``kubeward scan``."""

from __future__ import annotations

import sys

import click

from kubeward.cli.common import (build_options, display_options, emit_report, report_options,
                                 with_usage_errors)


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@report_options
@display_options
@click.option("--jobs", "-j", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Worker processes. 0: automatic, one process below about 1.5 MB of "
                   "manifests, else one per CPU core (at most 8). The report is the same.")
@click.option("--complete", is_flag=True,
              help="The input is the whole cluster: report references to objects not in it.")
@click.option("--values", "-f", "helm_values", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Helm values file for charts (repeatable; later files win).")
@click.option("--set", "helm_set", multiple=True, metavar="KEY=VALUE",
              help="Helm value for charts, as `helm --set` (repeatable).")
@click.option("--allow-remote-bases", is_flag=True,
              help="Let Kustomize fetch remote bases and resources (URLs, git); by default "
                   "they are refused and nothing is fetched (docs/security.md).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report and fail only on findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False),
              metavar="FILE", help="Record today's findings in FILE and print only that (no "
                                   "report unless -o is given; exit 0 unless input errors).")
@click.option("--changed-since", metavar="GIT_REF",
              help="Scan only files changed since this git ref (plus untracked files); a Helm "
                   "chart or Kustomize directory is scanned whole when any file in it changed.")
@click.option("--admission-policies", "admission_policies", multiple=True, metavar="PATH",
              type=click.Path(),
              help="ValidatingAdmissionPolicies, their bindings and params (files or "
                   "directories) to evaluate the input against, as the API server would "
                   "(repeatable; see docs/policies.md).")
@click.option("--context", "context_paths", multiple=True, metavar="PATH",
              type=click.Path(exists=True),
              help="Also read these files and directories (e.g. the repository root) for "
                   "cross-resource checks; only findings on PATH... are reported "
                   "(repeatable; default with --changed-since: the PATHs given).")
@click.option("-n", "--namespace", metavar="NS",
              help="Namespace of objects without metadata.namespace, as `kubectl apply -n NS` "
                   "and `helm install -n NS` place them (cluster-scoped kinds excepted).")
@click.option("--attack-paths", "attack_paths", is_flag=True,
              help="Add the attack-path summary (text, JSON, HTML); `kubeward paths` shows "
                   "every step.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record this run in a SQLite history file; the HTML report shows the "
                   "trend and what was introduced or fixed since the previous run.")
@click.pass_context
@with_usage_errors
def scan(cctx, paths, outputs, config_path, frameworks, k8s_version, fail_on, checks,
         skip_checks, show_suppressed, color, severity, group_by, rules, jobs, complete,
         helm_values, helm_set, allow_remote_bases, baseline_path, write_baseline_path,
         changed_since, context_paths, namespace, admission_policies, attack_paths,
         history_path):
    """Scan manifests: files, directories (recursive *.yaml, *.yml, *.json) or - for stdin.

    A directory holding Chart.yaml is rendered with Helm, one holding
    kustomization.yaml is built with Kustomize, and the result is scanned."""
    from kubeward.cli.common import fail, parse_outputs, parse_severity_filter
    from kubeward.cli.progress import progress
    from kubeward.engine import scan as run_scan

    parse_outputs(outputs)  # usage errors before any work
    parse_severity_filter(severity)
    options = build_options(config_path=config_path, frameworks=frameworks,
                            k8s_version=k8s_version, checks=checks, skip_checks=skip_checks,
                            jobs=jobs, complete=complete, rules=rules,
                            allow_remote_bases=allow_remote_bases)
    options.render_options = {**options.render_options, "values": list(helm_values),
                              "set": list(helm_set)}
    if namespace is not None:
        from kubeward.cli.common import check_namespace
        options.namespace = check_namespace(namespace)
    if options.target_namespace:
        options.render_options["namespace"] = options.target_namespace
    options.context = tuple(context_paths)
    known = None
    if baseline_path:
        from kubeward.baseline import BaselineError, load_baseline
        try:
            known = load_baseline(baseline_path)
        except BaselineError as e:
            fail(str(e))
    pre_errors = list(options.setup_errors)
    paths = list(paths)
    if changed_since:
        from kubeward.loading.changed import ChangedSinceError, changed_files, filter_changed
        try:
            changed = changed_files(changed_since, _repo_dir(paths))
        except ChangedSinceError as e:
            fail(str(e))
        if not options.context_paths:
            options.context = tuple(p for p in paths if p != "-")  # the whole picture
        paths = filter_changed(paths, changed, pre_errors, chart_inputs=helm_values)
    paths += [p for p in admission_policies if p not in paths]
    with progress(paths, enabled=jobs in (0, 1)) as on_file:
        report = run_scan(paths, options, on_file=on_file) if paths else _empty(options)
    report.errors[:0] = pre_errors
    _warn_empty_inputs(paths, report)
    if changed_since:
        report.notes.append(f"--changed-since {changed_since}: scanned {len(paths)} changed "
                            f"input{'s' if len(paths) != 1 else ''}")
    if write_baseline_path:
        from kubeward.baseline import write_baseline
        try:
            n = write_baseline(report.findings, write_baseline_path)
        except OSError as e:
            fail(f"{write_baseline_path}: cannot write baseline: {e.strerror or e}")
        click.echo(f"kubeward: wrote {n} finding{'s' if n != 1 else ''} to baseline "
                   f"{write_baseline_path}", err=True)
    extra = {}
    if report.frameworks:
        try:
            from kubeward.compliance import summarize
        except ImportError:
            summarize = None
        if summarize is not None:
            extra["compliance"] = summarize(report)
    from kubeward.cli.common import add_views
    add_views(report, options, outputs, extra, attack_paths=attack_paths,
              history=history_path, command="scan", inputs=paths)
    if known is not None:
        from kubeward.baseline import filter_new
        report.findings, old = filter_new(report.findings, known)
        report.notes.append(f"{len(old)} finding{'s' if len(old) != 1 else ''} already in "
                            f"baseline {baseline_path} not reported")
        extra["baseline"] = baseline_path
    if write_baseline_path and _defaulted(cctx, "outputs"):
        outputs = ()  # only the line saying what was written (and input errors)
    code = emit_report(report, outputs, fail_on=fail_on, show_suppressed=show_suppressed,
                       color=color, config=options.config, extra=extra, severity=severity,
                       group_by=group_by)
    if write_baseline_path and code == 1:
        code = 0  # recording a baseline accepts today's findings
    sys.exit(code)


def _defaulted(cctx, name: str) -> bool:
    from click.core import ParameterSource
    return cctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None)


def _warn_empty_inputs(paths, report) -> None:
    """A path that holds no manifest is said on standard error (a typo in a
    path or an empty folder must not pass as "no findings")."""
    import os

    from kubeward.cli.common import warn
    from kubeward.loading.files import EXTENSIONS, iter_files

    empty = False
    for p in paths:
        if p == "-" or not os.path.isdir(p):
            continue
        if not any(True for _ in iter_files([p], [])):
            empty = True
            warn(f"{p}: no manifest here (no {', '.join('*' + e for e in EXTENSIONS)} file, "
                 "no Helm chart or kustomization)")
    if paths and not empty and not report.objects and not report.errors:
        warn(f"no Kubernetes object found in {', '.join(paths)} (documents need apiVersion "
             "and kind)")


def _repo_dir(paths) -> str:
    """The git work tree is found from the first input (else the working directory)."""
    import os
    for p in paths:
        if p != "-" and os.path.exists(p):
            return p if os.path.isdir(p) else (os.path.dirname(p) or ".")
    return "."


def _empty(options):
    from kubeward.engine import scan_objects
    return scan_objects([], options)
