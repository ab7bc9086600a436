"""``kubeward generate``: write starting-point manifests."""

from __future__ import annotations

import sys

import click

from kubeward.cli.main import EXIT_ERROR, EXIT_OK

_NETPOL = """\
# Default deny for namespace {ns}: no pod of {ns} accepts or opens any
# connection, except DNS lookups to kube-dns in kube-system. Add allow
# policies for the traffic each workload needs.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {ns}
spec:
  podSelector: {{}}
  policyTypes:
    - Ingress
    - Egress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns-egress
  namespace: {ns}
spec:
  podSelector: {{}}
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
"""

_DNS1123 = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z"


@click.group()
def generate():
    """Write manifests to start from."""


def netpol_yaml(namespace: str) -> str:
    return _NETPOL.format(ns=namespace)


@generate.command("netpol")
@click.option("--namespace", "-n", required=True, help="Namespace to isolate.")
@click.option("--output-file", "-f", type=click.Path(dir_okay=False),
              help="Write to this file instead of standard output.")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
def netpol(namespace, output_file, paths):
    """Default-deny NetworkPolicies (ingress and egress) for a namespace plus
    the DNS egress allowance to kube-dns (UDP and TCP 53), ready to apply.
    With PATHs, also lists the workloads of that namespace the policies
    will isolate."""
    import re

    if not re.match(_DNS1123, namespace) or len(namespace) > 63:
        raise click.UsageError(f"{namespace!r} is not a valid namespace name")
    text = netpol_yaml(namespace)
    had_errors = False
    if paths:
        from kubeward.analysis.network import analyse
        from kubeward.cli.network import load_objects

        objects, had_errors = load_objects(paths)
        a = analyse(objects)
        names = [w.key for w in a.by_namespace.get(namespace, [])]
        header = "".join(f"#   {n}\n" for n in names) or "#   (none in the input)\n"
        text = f"# Workloads of {namespace} these policies isolate:\n{header}" + text
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            click.echo(f"kubeward: error: {output_file}: cannot write: {e.strerror or e}",
                       err=True)
            sys.exit(EXIT_ERROR)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_ERROR if had_errors else EXIT_OK)
