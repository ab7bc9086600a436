"""``kubeward network``: per workload, who can reach it, how it is exposed
outside the cluster, and what it can reach."""

from __future__ import annotations

import json
import sys

import click

from kubeward.cli.main import EXIT_ERROR, EXIT_OK


def input_options(f):
    """PATH... or a live cluster (--cluster, --kubeconfig, --context)."""
    opts = [
        click.argument("paths", nargs=-1, metavar="PATH..."),
        click.option("--cluster", "use_cluster", is_flag=True,
                     help="Read the objects from the live cluster of the kubeconfig instead "
                          "of files (what `kubeward audit` reads; Secrets are never read)."),
        click.option("--kubeconfig", type=click.Path(dir_okay=False),
                     help="Kubeconfig file for --cluster (default: $KUBECONFIG, "
                          "~/.kube/config, else the in-cluster service account)."),
        click.option("--context", "kube_context", metavar="NAME",
                     help="Kubeconfig context for --cluster."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def load_objects(paths, use_cluster: bool = False, kubeconfig: str | None = None,
                 kube_context: str | None = None, namespace: str | None = None
                 ) -> tuple[list, bool]:
    """Objects of ``paths`` or of the live cluster; load errors are printed
    (one line each) and reported by the second value. ``namespace``: where
    namespaced objects without one are placed, as ``kubectl apply -n`` does;
    without it, a note says how many were not tied to any namespace."""
    if use_cluster:
        if paths:
            raise click.UsageError("give PATHs or --cluster, not both")
        return _cluster_objects(kubeconfig, kube_context), False
    if not paths:
        raise click.UsageError("missing PATH... (files, directories, -) or --cluster")
    from kubeward.loading.files import load_paths
    from kubeward.model.placement import place_in_namespace, unplaced, unplaced_note

    render = {"namespace": namespace} if namespace else {}
    loaded = load_paths(list(paths), render)
    for e in loaded.errors:
        click.echo(e.one_line(), err=True)
    if namespace:
        place_in_namespace(loaded.objects, namespace)
    elif n := unplaced(loaded.objects):
        click.echo(f"kubeward: note: {unplaced_note(n, '-n/--namespace NS')}", err=True)
    return loaded.objects, bool(loaded.errors)


def namespace_option(f):
    """-n/--namespace for commands without a request namespace."""
    return click.option("-n", "--namespace", metavar="NS",
                        help="Namespace of objects without metadata.namespace, as "
                             "`kubectl apply -n NS` places them (cluster-scoped kinds "
                             "excepted).")(f)


def _cluster_objects(kubeconfig, kube_context) -> list:
    from kubeward.cli.common import fail

    try:
        from kubeward.cluster import ClusterError
        from kubeward.cluster.audit import collect, needed_kinds, resolve
        from kubeward.cluster.client import Client
    except ImportError as e:  # pragma: no cover - the cluster extra is missing
        fail(f"--cluster needs the kubernetes client: pip install 'kubeward[cluster]' ({e})")
    try:
        client = Client.connect(kubeconfig, kube_context)
        try:
            client.check_access()
            snap = collect(client, resolve(client, needed_kinds()))
        finally:
            client.close()
    except ClusterError as e:
        fail(str(e))
    for w in snap.warnings:
        click.echo(f"kubeward: warning: {w}", err=True)
    return snap.state.visible()


def _ports(ports: list[str]) -> str:
    return "all ports" if ports == ["*"] else ", ".join(ports) or "no port"


def _level_text(d: dict, what: str) -> str | None:
    if d["level"] == "none":
        return None
    return f"{what}: {d['level']} ({_ports(d['ports'])})"


def _direction_text(name: str, s: dict) -> list[str]:
    if not s["isolated"]:
        why = "hostNetwork: NetworkPolicies do not govern it" if s.get("hostNetwork") \
            else f"no NetworkPolicy selects it for {name}"
        return [f"  {name}: not isolated ({why}): any pod, any namespace, any address"] + \
            [f"    note: {n}" for n in s.get("notes", ())]
    out = [f"  {name}: isolated by {', '.join(s['policies'])}"]
    words = ("from" if name == "ingress" else "to")
    parts = [t for t in (_level_text(s["sameNamespace"], "same namespace"),
                         _level_text(s["otherNamespaces"], "other namespaces"),
                         _level_text(s["anyAddress"], "any address")) if t]
    if not parts and not s["cidrs"]:
        out.append(f"    nothing allowed {words} anywhere")
    for t in parts:
        out.append(f"    {t}")
    for r in s["rules"]:
        ports = _ports(r["ports"] + r.get("namedPorts", []))
        out.append(f"    - {words} {r['peer']['description']} on {ports} "
                   f"[{r['policy']} rule {r['rule']}]")
    for n in s.get("notes", ()):
        out.append(f"    note: {n}")
    return out


@click.command()
@input_options
@namespace_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def network(paths, use_cluster, kubeconfig, kube_context, namespace, output):
    """Show, per workload, who can reach it (same namespace, other namespaces,
    any address), its exposure outside the cluster (NodePort/LoadBalancer
    Services, Ingress, hostPort) and what it can reach, under the
    NetworkPolicies of the input."""
    from kubeward.analysis.network import analyse

    objects, had_errors = load_objects(paths, use_cluster, kubeconfig, kube_context, namespace)
    a = analyse(objects)
    report = a.report()
    if output == "json":
        json.dump({"workloads": report}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if not report:
            click.echo("no workloads in the input")
        for w in report:
            click.echo(f"{w['workload']} ({w['file']}:{w['line']})")
            click.echo("\n".join(_direction_text("ingress", w["ingress"])))
            click.echo("\n".join(_direction_text("egress", w["egress"])))
            if w["exposure"]:
                for e in w["exposure"]:
                    click.echo(f"  exposed outside the cluster: {e['via']} "
                               f"({', '.join(e['ports'])})")
            else:
                click.echo("  exposed outside the cluster: no")
            if w["reachableFrom"] is None:
                click.echo("  reachable from workloads of the input: any whose egress allows it")
            elif w["reachableFrom"]:
                click.echo("  reachable from workloads of the input: " + "; ".join(
                    f"{r['workload']} ({_ports(r['ports'])})" for r in w["reachableFrom"]))
            if w["canReach"] is None:
                click.echo("  can reach workloads of the input: any whose ingress allows it")
            elif w["canReach"]:
                click.echo("  can reach workloads of the input: " + "; ".join(
                    f"{r['workload']} ({_ports(r['ports'])})" for r in w["canReach"]))
            click.echo("")
    sys.exit(EXIT_ERROR if had_errors else EXIT_OK)
