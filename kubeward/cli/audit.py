"""``kubeward audit``: check a live cluster, once or continuously."""

from __future__ import annotations

import sys

import click

from kubeward.cli.common import (build_options, display_options, emit_report, fail, report_options,
                                 with_usage_errors)


@click.group(invoke_without_command=True)
@click.option("--kubeconfig", type=click.Path(dir_okay=False),
              help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else the in-cluster "
                   "service account).")
@click.option("--context", "kube_context", metavar="NAME", help="Kubeconfig context to use.")
@click.option("--namespace", "-n", metavar="NS",
              help="Audit only this namespace (cluster-scoped objects are read as context).")
@click.option("--all-namespaces", "-A", is_flag=True,
              help="Audit every namespace (the default).")
@report_options
@display_options
@click.option("--watch", "watch", is_flag=True,
              help="Keep watching: re-evaluate on every change, serve /metrics.")
@click.option("--metrics-address", default="127.0.0.1", show_default=True,
              help="Address of the /metrics server (--watch).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=9422, show_default=True,
              help="Port of the /metrics server (--watch; 0: any free port).")
@click.option("--policy-reports", is_flag=True,
              help="Write wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport "
                   "objects (--watch).")
@click.option("--page-size", type=click.IntRange(1, 10000), default=500, show_default=True,
              help="Objects per list request (limit/continue paging).")
@click.option("--watch-timeout", type=click.IntRange(1, 3600), default=300, show_default=True,
              help="Seconds before a watch stream is renewed (timeoutSeconds).")
@click.option("--attack-paths", "attack_paths", is_flag=True,
              help="Add the attack-path summary (text, JSON, HTML).")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record the findings in a SQLite history file (with --watch: one record "
                   "per --history-interval).")
@click.option("--history-interval", type=click.FloatRange(0.1, None), default=300.0,
              show_default=True, metavar="SECONDS",
              help="With --watch and --history: seconds between two records.")
@click.option("--duration", type=float, default=None, hidden=True,
              help="Stop watching after this many seconds (for tests and demos).")
@click.option("--admission-policies", "admission_policies", multiple=True, metavar="PATH",
              type=click.Path(),
              help="ValidatingAdmissionPolicies (with bindings and params) not yet in the "
                   "cluster: report which running objects they would reject (repeatable; not "
                   "with --watch).")
@click.pass_context
@with_usage_errors
def audit(ctx, kubeconfig, kube_context, namespace, all_namespaces, outputs, config_path,
          frameworks, k8s_version, fail_on, checks, skip_checks, show_suppressed, color, severity,
          group_by, rules, watch, metrics_address, metrics_port, policy_reports, page_size,
          watch_timeout, attack_paths, history_path, history_interval, duration,
          admission_policies):
    """Audit the objects of a live cluster with the same checks as scan.

    Reads every kind the checks need (list with limit/continue), reports a Pod
    of a ReplicaSet of a Deployment once, on the Deployment, and warns about
    kinds it may not read (403). The text outputs name each object as the
    kubectl command that shows it (kubectl get deploy -n NS NAME) with the
    field path; JSON and SARIF keep cluster://NAMESPACE/KIND/NAME with lines
    in the object's YAML rendering too. Exit codes as for scan; 2 when the
    cluster cannot be used.
    """
    if ctx.invoked_subcommand:
        return
    if namespace and all_namespaces:
        fail("--namespace and --all-namespaces exclude each other")
    from kubeward.cluster import ClusterError
    from kubeward.engine import select_checks

    if watch and admission_policies:
        fail("--admission-policies works with a one-off audit, not with --watch")
    options = build_options(config_path=config_path, frameworks=frameworks,
                            k8s_version=k8s_version, checks=checks, skip_checks=skip_checks,
                            rules=rules)
    select_checks(options)  # usage errors before touching the cluster
    from kubeward.cli.common import parse_severity_filter
    parse_severity_filter(severity)
    extra, extra_errors = [], list(options.setup_errors)
    if admission_policies:
        from kubeward.loading.files import load_paths
        loaded = load_paths(list(admission_policies), {})
        extra, extra_errors = loaded.objects, extra_errors + loaded.errors
    if history_path:
        from kubeward.history import HistoryError, check
        try:
            check(history_path)
        except HistoryError as e:
            fail(str(e))
    if watch or policy_reports:
        _need_prometheus(watch)
    try:
        from kubeward.cluster.audit import audit_once
        from kubeward.cluster.client import Client

        client = Client.connect(kubeconfig, kube_context)
        server_version = client.check_access()
        if options.k8s_version is None and options.config.k8s_version is None:
            options.k8s_version = _parse_version(server_version)
        if watch:  # the auditor's first evaluation gives the first report
            from kubeward.cluster.audit import snapshot
            report, snap = None, snapshot(client, options, namespace, page_size)
        else:
            report, snap = audit_once(client, options, namespace, page_size, extra)
            report.errors[:0] = extra_errors
    except ClusterError as e:
        fail(str(e))
    for w in snap.warnings:
        click.echo(f"kubeward: warning: {w}", err=True)
    emit = dict(fail_on=fail_on, show_suppressed=show_suppressed, color=color,
                config=options.config, severity=severity, group_by=group_by)
    views = _Views(options, outputs, attack_paths, history_path, history_interval,
                   kube_context or "current context")
    if not watch:
        sys.exit(emit_report(report, outputs, **emit, extra=views.extra(report, record=True)))
    _watch(client, snap, options, namespace, outputs, emit, metrics_address, metrics_port,
           policy_reports, watch_timeout, duration, views)


class _Views:
    """Compliance, attack paths and history for the reports of ``audit``."""

    def __init__(self, options, outputs, attack_paths, history, interval, context):
        self.options, self.outputs = options, outputs
        self.attack_paths, self.history, self.interval = attack_paths, history, interval
        self.inputs = [f"cluster ({context})"]
        self.last_run: int | None = None

    def extra(self, report, record: bool, outputs=None) -> dict:
        from kubeward.cli.common import add_views

        extra: dict = {}
        if report.frameworks:
            from kubeward.compliance import summarize
            extra["compliance"] = summarize(report)
        history = self.history if record else None
        add_views(report, self.options, outputs or self.outputs, extra,
                  attack_paths=self.attack_paths, history=history, command="audit",
                  inputs=self.inputs)
        if record and self.history:
            self.last_run = extra["history"]["run"]
        elif self.history and self.last_run is not None:
            from kubeward.history import view
            extra["history"] = view(self.history, self.last_run)
        return extra

    def record(self, report) -> None:
        from kubeward.history import record

        compliance = None
        if report.frameworks:
            from kubeward.compliance import summarize
            compliance = summarize(report)
        self.last_run = record(self.history, report, command="audit", inputs=self.inputs,
                               compliance=compliance)


def record_every(interval: float, latest, stop, record) -> int:
    """Call ``record(latest())`` every ``interval`` seconds until ``stop`` (an
    Event) is set; returns how many records were made."""
    n = 0
    while not stop.wait(interval):
        report = latest()
        if report is not None:
            record(report)
            n += 1
    return n


def _need_prometheus(watch: bool) -> None:
    if not watch:
        fail("--policy-reports needs --watch")
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        fail("--watch serves metrics with prometheus_client: pip install 'kubeward[cluster]'")


def _parse_version(git_version: str):
    import re

    m = re.match(r"v?(\d+)\.(\d+)", git_version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _watch(client, snap, options, namespace, outputs, emit, metrics_address, metrics_port,
           policy_reports, watch_timeout, duration, views):
    import signal
    import threading

    from kubeward.cli.common import parse_outputs
    from kubeward.wording import plural
    from kubeward.cluster import ClusterError
    from kubeward.cluster.metrics import serve
    from kubeward.cluster.reports import ReportWriter
    from kubeward.cluster.watch import Auditor, diff, _log

    file_outputs = [f"{fmt}={target}" for fmt, target in parse_outputs(outputs) if target]
    writer = ReportWriter(client, _log) if policy_reports else None
    holder: dict = {}

    def publish(previous, report):
        holder["latest"] = report
        if previous is None:
            emit_report(report, outputs, **emit, extra=views.extra(report, record=True))
        else:
            new, resolved = diff(previous, report)
            for f in new:
                click.echo(f"new: {f.check_id} {f.severity.label} {f.object.display()} "
                           f"{f.field_path}: {f.message}")
            for f in resolved:
                click.echo(f"resolved: {f.check_id} {f.object.display()} {f.field_path}")
            if file_outputs:
                emit_report(report, file_outputs, **emit,
                            extra=views.extra(report, record=False, outputs=file_outputs))
            sys.stdout.flush()
        if writer is not None:
            auditor = holder.get("auditor")
            with auditor.lock:
                uid_of = auditor.state.uid_lookup()
            writer.write(report, uid_of)

    auditor = Auditor(client, snap, options, namespace=namespace, watch_timeout=watch_timeout,
                      on_report=publish)
    holder["auditor"] = auditor
    try:
        server, port = serve(auditor, metrics_address, metrics_port)
    except OSError as e:
        fail(f"cannot serve metrics on {metrics_address}:{metrics_port}: {e.strerror or e}")
    except ClusterError as e:
        fail(str(e))
    _log(f"watching {plural(len(auditor.resources), 'resource')}; metrics on "
         f"http://{metrics_address}:{port}/metrics")
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    recorder = None
    if views.history:
        from kubeward.history import HistoryError

        def record_safely(report):
            try:
                views.record(report)
            except HistoryError as e:
                _log(f"history: {e}")

        recorder = threading.Thread(
            target=record_every, args=(views.interval, lambda: holder.get("latest"), stop,
                                       record_safely), daemon=True, name="kubeward-history")

    previous_handlers = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous_handlers[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread (tests)
            pass
    try:
        auditor.start()
        if recorder is not None:
            recorder.start()
        stop.wait(duration)
    finally:
        stop.set()
        if recorder is not None:
            recorder.join(5)
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        auditor.stop()
        server.shutdown()
        server.server_close()
    _log(f"stopped after {plural(auditor.stats.evaluations, 'evaluation')}")
    sys.exit(0)


@audit.command()
@click.option("--namespace", "target_namespace", default="kubeward", show_default=True,
              help="Namespace to run kubeward in.")
@click.option("--image", help="Container image (default: ghcr.io/kubeward/kubeward:VERSION).")
@click.option("--policy-reports", is_flag=True,
              help="Also grant writing PolicyReports and pass --policy-reports.")
def manifests(target_namespace, image, policy_reports):
    """Print the manifests that run `kubeward audit --watch` in a cluster:
    Namespace, ServiceAccount, read-only ClusterRole (list/watch, no Secrets)
    and binding, Deployment, metrics Service, NetworkPolicy."""
    from kubeward.cluster.manifests import render

    click.echo(render(target_namespace, image, policy_reports), nl=False)
