"""Prometheus metrics of a continuous audit (``prometheus_client``).

Served at ``/metrics`` (any path answers, as with prometheus_client's own
server):

* ``kubeward_findings{check, severity, namespace}``: current findings
  (namespace ``""`` for cluster-scoped objects);
* ``kubeward_objects{kind}``: objects audited (after owner collapsing);
* ``kubeward_watch_events_total{type}``, ``kubeward_watch_relists_total``,
  ``kubeward_watch_reconnects_total``, ``kubeward_evaluations_total``;
* ``kubeward_last_evaluation_timestamp_seconds``,
  ``kubeward_evaluation_duration_seconds``.
"""

from __future__ import annotations

from collections import Counter


class AuditCollector:
    """A custom collector reading the auditor's current report on scrape."""

    def __init__(self, auditor):
        self.auditor = auditor

    def describe(self):
        return []

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        a = self.auditor
        report = a.report
        findings = GaugeMetricFamily("kubeward_findings", "Current findings by check, severity "
                                     "and namespace", labels=["check", "severity", "namespace"])
        objects = GaugeMetricFamily("kubeward_objects", "Objects audited by kind",
                                    labels=["kind"])
        if report is not None:
            counts = Counter((f.check_id, f.severity.label, f.object.namespace or "")
                             for f in report.findings)
            for (check, sev, ns), n in sorted(counts.items()):
                findings.add_metric([check, sev, ns], n)
            for kind, n in sorted(Counter(o.kind for o in report.scanned).items()):
                objects.add_metric([kind], n)
        yield findings
        yield objects
        events = CounterMetricFamily("kubeward_watch_events", "Watch events received",
                                     labels=["type"])
        for t, n in sorted(a.stats.events.items()):
            events.add_metric([t], n)
        yield events
        yield CounterMetricFamily("kubeward_watch_relists", "Fresh lists after 410 Gone",
                                  value=a.stats.relists)
        yield CounterMetricFamily("kubeward_watch_reconnects", "Watch reconnects after errors",
                                  value=a.stats.reconnects)
        yield CounterMetricFamily("kubeward_evaluations", "Evaluations run",
                                  value=a.stats.evaluations)
        yield GaugeMetricFamily("kubeward_last_evaluation_timestamp_seconds",
                                "Unix time of the last evaluation",
                                value=a.stats.last_evaluation)
        yield GaugeMetricFamily("kubeward_evaluation_duration_seconds",
                                "Duration of the last evaluation", value=a.stats.last_duration)


def serve(auditor, address: str = "127.0.0.1", port: int = 9422):
    """Start the metrics HTTP server; returns (server, bound port)."""
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError:
        from kubeward.cluster import ClusterError
        raise ClusterError("--watch serves metrics with prometheus_client: "
                           "pip install 'kubeward[cluster]'") from None
    registry = CollectorRegistry()
    registry.register(AuditCollector(auditor))
    got = start_http_server(port, addr=address, registry=registry)
    server = got[0] if isinstance(got, tuple) else got
    return server, server.server_address[1] if server is not None else port
