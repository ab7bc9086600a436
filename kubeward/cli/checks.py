"""``kubeward checks`` and ``kubeward explain``."""

from __future__ import annotations

import json
import sys

import click


def check_info(cls) -> dict:
    kinds = sorted(cls.kinds) if cls.kinds else (["<any workload>"] if cls.workloads_only else ["<any>"])
    return {
        "id": cls.id,
        "name": cls.name,
        "severity": cls.severity.label,
        "frameworks": {k: list(v) for k, v in sorted(cls.frameworks.items())},
        "kinds": kinds,
        "defaultEnabled": cls.default_enabled,
        "fixSafety": cls.fix_safety,
        "crosswalk": {k: list(v) for k, v in sorted(cls.crosswalk.items())},
        "remediation": cls.remediation,
        "crossResource": hasattr(cls, "check_all"),
    }


@click.command()
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--framework", default=None, metavar="NAME",
              help="Only checks of this framework (pss-baseline, pss-restricted, pss, cis, nsa, "
                   "mitre, all).")
@click.option("--tool", default=None, metavar="TOOL",
              help="Only checks with an equivalent in this tool (kube-linter, checkov, polaris, "
                   "kube-score, kubescape, trivy), showing that tool's ids.")
def checks(output, framework, tool):
    """List every check: id, on by default, severity, name, frameworks, kinds,
    then its fix safety and its equivalents in other tools."""
    from kubeward.checks.base import registry
    from kubeward.wording import plural

    reg = registry()
    if framework is not None and framework != "all":
        known = sorted({fw for cls in reg.values() for fw in cls.frameworks})
        if framework not in known:
            _usage(f"--framework: unknown framework {framework!r} (known: {', '.join(known)}, all)")
    if tool is not None:
        tool = tool.lower()
        tools = sorted({t for cls in reg.values() for t in cls.crosswalk})
        if tool not in tools:
            _usage(f"--tool: no equivalents recorded for {tool!r} (known: {', '.join(tools)})")
    infos = [check_info(reg[cid]) for cid in sorted(reg)
             if (framework is None or framework == "all" or framework in reg[cid].frameworks)
             and (tool is None or reg[cid].crosswalk.get(tool))]
    if tool is not None:
        for i in infos:
            i["crosswalk"] = {tool: i["crosswalk"][tool]}
    if output == "json":
        json.dump(infos, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for i in infos:
        fw = ",".join(i["frameworks"]) or "-"
        on = "on " if i["defaultEnabled"] else "off"
        click.echo(f"{i['id']:8} {on} {i['severity']:8} {i['name']}  [{fw}] "
                   f"kinds: {', '.join(i['kinds'])}")
        eq = "; ".join(f"{t} {', '.join(ids)}" for t, ids in i["crosswalk"].items()) or "-"
        click.echo(f"{'':8} fix: {i['fixSafety'] or 'none'}  equivalents: {eq}")
    click.echo(plural(len(infos), "check"), err=True)


def _usage(message: str):
    click.echo(f"kubeward: error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.argument("check_id")
def explain(check_id):
    """Print a check's full documentation."""
    from kubeward.checks.base import registry

    reg = registry()
    cls = reg.get(check_id.upper())
    if cls is None:
        click.echo(f"kubeward: error: unknown check id {check_id!r} (see `kubeward checks`)",
                   err=True)
        sys.exit(2)
    i = check_info(cls)
    click.echo(f"{cls.id}: {cls.name}")
    click.echo(f"severity: {i['severity']}   on by default: {'yes' if cls.default_enabled else 'no'}"
               f"   fix: {cls.fix_safety or 'none'}")
    click.echo(f"applies to: {', '.join(i['kinds'])}")
    if i["frameworks"]:
        click.echo("frameworks: " + "; ".join(f"{k} {', '.join(v)}" for k, v in i["frameworks"].items()))
    if i["crosswalk"]:
        click.echo("other tools: " + "; ".join(f"{k} {', '.join(v)}" for k, v in i["crosswalk"].items()))
    click.echo("")
    click.echo(cls.doc())
