"""``kubeward checks`` and ``kubeward explain``."""

from __future__ import annotations

import json
import sys

import click


def check_info(cls) -> dict:
    from kubeward.checks import crosswalk
    from kubeward.checks.aliases import aliases_of

    kinds = sorted(cls.kinds) if cls.kinds else (["<any workload>"] if cls.workloads_only else ["<any>"])
    return {
        "id": cls.id,
        "name": cls.name,
        "severity": cls.severity.label,
        "frameworks": {k: list(v) for k, v in sorted(cls.frameworks.items())},
        "kinds": kinds,
        "defaultEnabled": cls.default_enabled,
        "fixSafety": cls.fix_safety,
        "crosswalk": crosswalk.by_tool(cls.id),
        "equivalents": [m.as_dict() for m in crosswalk.for_check(cls.id)],
        "remediation": cls.remediation,
        "crossResource": hasattr(cls, "check_all"),
        "aliases": list(aliases_of(cls.id)),
    }


@click.command()
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--framework", default=None, help="Only checks of this framework.")
@click.option("--tool", type=click.Choice(("kube-linter", "checkov", "polaris", "kube-score",
                                           "kubescape", "trivy")),
              help="Only checks that replace a rule of this tool, with the relation of each.")
def checks(output, framework, tool):
    """List every check: id, name, severity, frameworks, kinds, on by default."""
    from kubeward.checks.base import registry

    reg = registry()
    if framework is not None:
        from kubeward.engine import FRAMEWORK_ALIASES, known_frameworks

        framework = FRAMEWORK_ALIASES.get(framework, framework)
        known = known_frameworks()
        if framework not in known:
            click.echo(f"kubeward: error: unknown framework {framework!r} (known: "
                       f"{', '.join(sorted(known))})", err=True)
            sys.exit(2)
    if tool:
        return _by_tool(tool, reg, output)
    infos = [check_info(reg[cid]) for cid in sorted(reg)
             if framework is None or framework == "all" or framework in reg[cid].frameworks]
    if output == "json":
        json.dump(infos, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for i in infos:
        fw = ",".join(i["frameworks"]) or "-"
        on = "on " if i["defaultEnabled"] else "off"
        click.echo(f"{i['id']:8} {on} {i['severity']:8} {i['name']}  [{fw}] "
                   f"kinds: {', '.join(i['kinds'])}")
    click.echo(f"{len(infos)} checks", err=True)


def _by_tool(tool: str, reg, output: str) -> None:
    """One row per rule of ``tool``: the kubeward checks and how they relate."""
    from kubeward.checks import crosswalk

    rows = crosswalk.for_tool(tool)
    if output == "json":
        json.dump([dict(m.as_dict(), check=m.check) for m in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for m in rows:
        name = reg[m.check].name if m.check in reg else "?"
        note = f" ({m.note})" if m.note else ""
        click.echo(f"{m.rule:40} {m.check:8} {m.relation:10} {name}{note}")
    click.echo(f"{len({m.rule for m in rows})} {tool} rules, {len(rows)} mappings", err=True)


@click.command()
@click.argument("check_id")
def explain(check_id):
    """Print a check's full documentation."""
    from kubeward.checks.base import registry

    from kubeward.checks.aliases import ALIASES

    reg = registry()
    old = check_id.upper()
    cls = reg.get(ALIASES.get(old, old))
    if cls is None:
        click.echo(f"kubeward: error: unknown check id {check_id!r} (see `kubeward checks`)",
                   err=True)
        sys.exit(2)
    i = check_info(cls)
    if old in ALIASES:
        click.echo(f"{old} is a retired id: its problem is reported by {cls.id}, which it "
                   "still selects and suppresses.\n")
    click.echo(f"{cls.id}: {cls.name}")
    click.echo(f"severity: {i['severity']}   on by default: {'yes' if cls.default_enabled else 'no'}"
               f"   fix: {cls.fix_safety or 'none'}")
    click.echo(f"applies to: {', '.join(i['kinds'])}")
    if i["frameworks"]:
        click.echo("frameworks: " + "; ".join(f"{k} {', '.join(v)}" for k, v in i["frameworks"].items()))
    for m in i["equivalents"]:
        why = f": {m['note']}" if m.get("note") else ""
        click.echo(f"{m['tool']} {m['rule']}: {m['relation']}{why}")
    click.echo("")
    click.echo(cls.doc())
