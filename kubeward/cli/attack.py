"""``kubeward paths``: attack paths across findings, ranked."""

from __future__ import annotations

import sys

import click

from kubeward.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from kubeward.cli.network import input_options, load_objects


def attack_paths(objects, options) -> dict:
    """The attack-path report of ``objects``: runs the checks the paths
    refer to (whatever the config enables; suppressions still apply) and
    joins them with the RBAC and network analysis."""
    from dataclasses import replace

    from kubeward import attackpaths
    from kubeward.checks.base import registry
    from kubeward.engine import scan_objects

    ids = tuple(sorted(attackpaths.checks_needed() & set(registry())))
    sub = scan_objects(objects, replace(options, checks=ids, skip_checks=(), jobs=1))
    paths = attackpaths.build(objects, [*sub.findings, *sub.suppressed])
    return attackpaths.report(paths)


@click.command("paths")
@input_options
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--limit", type=click.IntRange(0, None), default=10, show_default=True,
              help="Paths shown in text (0: all); JSON has every path.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (suppressions and exemptions apply to the findings of a "
                   "step; the step stays, marked suppressed).")
@click.option("--k8s-version", metavar="X.Y", help="Target Kubernetes version.")
def paths(paths, use_cluster, kubeconfig, kube_context, output, limit, config_path,
          k8s_version):
    """Attack paths: entry (exposed outside the cluster, or a compromised
    image), foothold (container escape), identity (the mounted token and what
    it can do) and impact (cluster-admin, a node, other namespaces' Secrets),
    each step a concrete object and field with the finding that enables it.
    Ranked by score; each path names its cheapest cut.

    Exit codes: 0 no path, 1 paths found, 2 usage error or unreadable input
    (the paths are then about the rest)."""
    from kubeward import attackpaths
    from kubeward.cli.common import build_options, with_usage_errors

    options = with_usage_errors(build_options)(
        config_path=config_path, frameworks=(), k8s_version=k8s_version, checks=(),
        skip_checks=())
    objects, had_errors = load_objects(paths, use_cluster, kubeconfig, kube_context)
    data = attack_paths(objects, options)
    if output == "json":
        from kubeward.outputs.json import dumps
        sys.stdout.write(dumps({"attackPaths": data}))
    else:
        click.echo("\n".join(attackpaths.text_lines(data, limit or None)))
    sys.exit(EXIT_ERROR if had_errors else EXIT_FINDINGS if data["count"] else EXIT_OK)
