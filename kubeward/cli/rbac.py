"""``kubeward rbac``: who-can, can, escalation."""

from __future__ import annotations

import json
import sys

import click

from kubeward.cli.main import EXIT_ERROR, EXIT_OK
from kubeward.cli.network import input_options, load_objects, namespace_option


@click.group()
def rbac():
    """RBAC analysis of manifests or a cluster dump: who can do what, and who
    can become cluster admin."""


def _request(verb: str, resource: str, namespace: str | None, name: str | None):
    from kubeward.analysis.rbac import Request, parse_resource

    res, sub, group, path = parse_resource(resource)
    if path and (namespace or name):
        raise click.UsageError("a non-resource URL takes no --namespace or --name")
    return Request(verb=verb, resource=res, subresource=sub, group=group,
                   namespace=namespace or "", name=name or "", path=path)


def _notes(notes):
    for n in notes:
        click.echo(f"kubeward: note: {n}", err=True)


_RESOURCE_HELP = ("RESOURCE is resource[.group][/subresource] (pods, pods/exec, "
                  "deployments.apps, clusterroles) or a non-resource URL (/metrics).")


@rbac.command("who-can")
@click.argument("verb")
@click.argument("resource")
@input_options
@click.option("-n", "--namespace", help="Namespace of the request (default: cluster-wide, "
                                        "which only ClusterRoleBindings grant); objects "
                                        "without metadata.namespace are placed there, as "
                                        "`kubectl apply -n` does.")
@click.option("--name", "resource_name", help="Name of the object (rules with resourceNames "
                                              "only match named requests).")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def who_can(verb, resource, paths, use_cluster, kubeconfig, kube_context, namespace,
            resource_name, output):
    """List the subjects allowed VERB on RESOURCE, with the bindings and rules
    that grant it. """
    from kubeward.analysis.rbac import RBACModel

    req = _request(verb, resource, namespace, resource_name)
    objects, had_errors = load_objects(paths, use_cluster, kubeconfig, kube_context, namespace)
    model = RBACModel(objects)
    entries, notes = model.who_can(req)
    _notes(model.notes + notes)
    if output == "json":
        json.dump({"request": req.describe(), "subjects": entries}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if not entries:
            click.echo(f"no subject of the input may {req.describe()}")
        for e in entries:
            who = f"{e['kind']} {e['namespace']}/{e['name']}" if e["kind"] == "ServiceAccount" \
                else f"{e['kind']} {e['name']}"
            click.echo(who)
            for g in e["grants"]:
                origin = f" ({g['origin']})" if g.get("origin") else ""
                click.echo(f"  {g['binding']} -> {g['role']} rule {g['rule']}{origin}: "
                           f"{g['ruleText']}")
    sys.exit(EXIT_ERROR if had_errors else EXIT_OK)


who_can.help = (who_can.help or "") + _RESOURCE_HELP


@rbac.command("can")
@click.argument("subject")
@click.argument("verb")
@click.argument("resource")
@input_options
@click.option("-n", "--namespace", help="Namespace of the request (default: cluster-wide); "
                                        "objects without metadata.namespace are placed "
                                        "there, as `kubectl apply -n` does.")
@click.option("--name", "resource_name", help="Name of the object.")
def can(subject, verb, resource, paths, use_cluster, kubeconfig, kube_context, namespace,
        resource_name):
    """Answer whether SUBJECT (serviceaccount:NS:NAME, user:NAME, group:NAME)
    may VERB RESOURCE, with the reason. Exit 0 yes, 1 no, 2 usage error or
    some input could not be read (the answer is then about the rest). """
    from kubeward.analysis.rbac import RBACModel, parse_subject

    try:
        subj = parse_subject(subject)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    req = _request(verb, resource, namespace, resource_name)
    objects, had_errors = load_objects(paths, use_cluster, kubeconfig, kube_context, namespace)
    model = RBACModel(objects)
    allowed, grants, notes = model.authorize(subj, req)
    _notes(model.notes)
    if allowed:
        click.echo(f"yes: {subj.key} may {req.describe()}")
        for n in notes:
            click.echo(f"  {n}")
        for g in grants:
            click.echo(f"  {g.describe()}")
        sys.exit(EXIT_ERROR if had_errors else EXIT_OK)
    click.echo(f"no: {subj.key} may not {req.describe()}: no rule of a binding that applies "
               f"to it allows it")
    for n in notes:
        click.echo(f"  {n}")
    sys.exit(EXIT_ERROR if had_errors else 1)


can.help = (can.help or "") + _RESOURCE_HELP


@rbac.command("escalation")
@input_options
@namespace_option
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def escalation(paths, use_cluster, kubeconfig, kube_context, namespace, output):
    """List subjects that can reach cluster-admin-equivalent power, each with
    the shortest chain of steps."""
    from kubeward.analysis.rbac import analyse

    objects, had_errors = load_objects(paths, use_cluster, kubeconfig, kube_context, namespace)
    model, esc = analyse(objects)
    report = esc.report()
    _notes(model.notes)
    if output == "json":
        json.dump({"subjects": report}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if not report:
            click.echo("no subject of the input can escalate to cluster admin")
        for r in report:
            click.echo(r["subject"])
            for i, st in enumerate(r["chain"], 1):
                click.echo(f"  {i}. {st['step']}")
                for v in st["via"]:
                    click.echo(f"       via {v}")
    sys.exit(EXIT_ERROR if had_errors else EXIT_OK)
