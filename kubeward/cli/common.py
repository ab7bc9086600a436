"""Options and report emission shared by ``scan``, ``audit`` and friends."""

from __future__ import annotations

import functools
import os
import sys
from typing import NoReturn

import click

from kubeward.cli.main import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK

DEFAULT_FAIL_ON = "low"


def report_options(f):
    """-o, --config, --framework, --k8s-version, --fail-on, --check,
    --skip-check, --show-suppressed, --color."""
    opts = [
        click.option("-o", "--output", "outputs", multiple=True, default=("text",),
                     show_default=True, metavar="FORMAT[=FILE]",
                     help="Report format: text (grouped, with source lines; the default, "
                          "also when not a terminal), concise (one line per finding), json, "
                          "sarif, junit, markdown, github, codequality. Repeat with =FILE to "
                          "write several at once, e.g. -o json=report.json -o text."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Config file (default: .kubeward.yaml found upward from the "
                          "working directory)."),
        click.option("--framework", "frameworks", multiple=True, metavar="NAME",
                     help="Policy set to run: pss-baseline, pss-restricted, cis, nsa, mitre, "
                          "all. Repeatable. Default: every check that is on by default."),
        click.option("--k8s-version", metavar="X.Y",
                     help="Target Kubernetes version (default 1.35)."),
        click.option("--fail-on", type=click.Choice(["critical", "high", "medium", "low", "info"],
                                                    case_sensitive=False),
                     help=f"Exit 1 when a finding is at or above this severity "
                          f"(default: {DEFAULT_FAIL_ON}, or failOn in the config)."),
        click.option("--check", "checks", multiple=True, metavar="ID",
                     help="Run only this check (repeatable)."),
        click.option("--skip-check", "skip_checks", multiple=True, metavar="ID",
                     help="Do not run this check (repeatable)."),
        click.option("--show-suppressed", is_flag=True,
                     help="List suppressed findings too (with their reasons)."),
        click.option("--color/--no-color", default=None,
                     help="Colour in text output (default: when stdout is a terminal)."),
        rules_option,
    ]
    for o in reversed(opts):
        f = o(f)
    return f


rules_option = click.option(
    "--rules", "rules", multiple=True, metavar="FILE|DIR", type=click.Path(),
    help="Custom CEL rules: a rule file or a directory of them (repeatable; added to "
         "`rules:` of the config). See docs/policies.md.")


def load_rules(paths, errors: list) -> list[str]:
    """Compile and register the custom rules of ``paths``; one LoadError per
    bad file, rule or expression goes to ``errors``. Exits 2 when the CEL
    runtime is missing."""
    if not paths:
        return []
    from kubeward.checks.custom import register_rules
    from kubeward.policy.celenv import CelUnavailable
    from kubeward.policy.rules import load_rules as load

    try:
        rules, errs = load(paths)
    except CelUnavailable as e:
        fail(str(e))
    errors.extend(errs)
    return register_rules(rules)


def display_options(f):
    """--severity and --group-by: what the report shows and in which order
    (scan and audit; see docs/output.md)."""
    opts = [
        click.option("--severity", "severity", metavar="LEVEL[,LEVEL]",
                     help="Show only these severities, in every format: one level shows it "
                          "and above (--severity high: high and critical), a list exactly "
                          "those. The summary still counts every finding and says how many "
                          "were not shown; the exit code (--fail-on) is unchanged."),
        click.option("--group-by", type=click.Choice(["file", "workload", "check", "severity"],
                                                     case_sensitive=False),
                     default="file", show_default=True,
                     help="Group the text and concise outputs; the most severe finding comes "
                          "first in each group."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def fail(message: str) -> NoReturn:
    click.echo(f"kubeward: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def warn(message: str) -> None:
    click.echo(f"kubeward: warning: {message}", err=True)


def warn_version(version, where: str) -> None:
    """A target version outside what kubeward knows is a warning (it is still used)."""
    if version is None:
        return
    from kubeward.checks.pss import NEWEST, OLDEST

    if not OLDEST <= tuple(version) <= NEWEST:
        warn(f"{where} {version[0]}.{version[1]} is outside the Kubernetes versions kubeward "
             f"knows ({OLDEST[0]}.{OLDEST[1]} to {NEWEST[0]}.{NEWEST[1]}): Pod Security "
             f"checks evaluate it as {NEWEST[0]}.{NEWEST[1]}, and API versions removed after "
             "that are not known")


def build_options(*, config_path, frameworks, k8s_version, checks, skip_checks, jobs=1,
                  complete=False, rules=(), allow_remote_bases=False, **_ignored):
    """ScanOptions from CLI values; usage problems exit 2 with one line.
    Custom rules (``rules`` and the config's ``rules:``) are registered
    first, so the config may name their ids; their errors end up in
    ``setup_errors``."""
    from kubeward.checks.base import registry
    from kubeward.config import Config, ConfigError, find_config, load_config, parse_version
    from kubeward.engine import ScanOptions

    path = config_path or find_config()
    cfg = Config()
    if config_path and not os.path.isfile(config_path):
        fail(f"{config_path}: config file not found")
    setup_errors: list = []
    try:
        known_options = None
        if path:
            from kubeward.checks.aliases import ALIASES, canonical

            reg = registry()
            known_options = {cid: set(reg[canonical(cid)].options)
                             for cid in set(reg) | set(ALIASES)}
            cfg = load_config(path, known_options=known_options)  # its rules: key
        load_rules((*cfg.rules, *rules), setup_errors)
        if path:  # again, now that the custom rule ids are known
            cfg = load_config(path, known_ids=set(registry()) | set(ALIASES),
                              known_options=known_options)
    except ConfigError as e:
        click.echo(e.one_line(), err=True)
        sys.exit(EXIT_ERROR)
    version = None
    if k8s_version:
        try:
            version = parse_version(k8s_version)
        except ValueError as e:
            fail(str(e))
    warn_version(version or cfg.k8s_version, "--k8s-version" if version else
                 f"{cfg.file}: k8sVersion")
    return ScanOptions(frameworks=tuple(frameworks), k8s_version=version,
                       checks=tuple(c.upper() for c in checks),
                       skip_checks=tuple(c.upper() for c in skip_checks),
                       config=cfg, jobs=jobs, complete=complete, setup_errors=setup_errors,
                       rule_paths=(*cfg.rules, *rules),
                       render_options={"allow_remote_bases":
                                       bool(allow_remote_bases or cfg.allow_remote_bases)})


def check_namespace(namespace: str) -> str:
    """A namespace name (RFC 1123 label), or a usage error."""
    import re
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", namespace or ""):
        fail(f"--namespace {namespace!r}: not a valid namespace name (lower-case letters, "
             "digits and '-', at most 63)")
    return namespace


def parse_outputs(outputs) -> list[tuple[str, str | None]]:
    from kubeward.outputs import FORMATS

    parsed = []
    to_stdout = 0
    for spec in outputs:
        fmt, sep, target = spec.partition("=")
        fmt = fmt.strip().lower()
        if fmt not in FORMATS:
            fail(f"unknown output format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
        if sep and not target:
            fail(f"-o {spec}: missing file name after '='")
        if not sep:
            to_stdout += 1
        parsed.append((fmt, target or None))
    if to_stdout > 1:
        fail("only one -o format can go to standard output; give the others =FILE")
    seen: dict = {}
    for fmt, target in parsed:
        if target is None:
            continue
        key = os.path.realpath(target)
        if key in seen:
            fail(f"-o {fmt}={target} and -o {seen[key]}={target} write the same file; "
                 "give each report its own file")
        seen[key] = fmt
    return parsed


def parse_severity_filter(text):
    """--severity as a set of levels (None: show all); a bad level exits 2."""
    from kubeward.outputs.util import parse_severities

    try:
        return parse_severities(text)
    except ValueError as e:
        fail(str(e))


def emit_report(report, outputs, *, fail_on=None, show_suppressed=False, color=None,
                config=None, extra=None, severity=None, group_by="file") -> int:
    """Write every requested output, print diagnostics to stderr, and return
    the exit code. ``severity`` (the --severity text) filters what every
    output shows; the exit code still considers every finding."""
    from kubeward.findings import Severity
    from kubeward.outputs import RenderContext, get_renderer
    from kubeward.outputs.util import apply_display_filter

    report = apply_display_filter(report, parse_severity_filter(severity))
    group_by = (group_by or "file").lower()

    for e in report.errors:
        click.echo(e.one_line(), err=True)
    for n in report.notes:
        click.echo(f"kubeward: note: {n}", err=True)
    for m in getattr(report, "warnings", ()):
        warn(m)
    threshold = Severity.parse(fail_on or (config.fail_on.label if config and config.fail_on
                                           else DEFAULT_FAIL_ON))
    for fmt, target in parse_outputs(outputs):
        if target is None:
            use_color = color if color is not None else (sys.stdout.isatty()
                                                        and not os.environ.get("NO_COLOR"))
            ctx = RenderContext(color=bool(use_color) and fmt == "text",
                                show_suppressed=show_suppressed, fail_on=threshold,
                                group_by=group_by, extra=dict(extra or {}))
            get_renderer(fmt)(report, sys.stdout, ctx)
            sys.stdout.flush()
        else:
            ctx = RenderContext(color=False, show_suppressed=show_suppressed, fail_on=threshold,
                                group_by=group_by, extra=dict(extra or {}))
            try:
                with open(target, "w", encoding="utf-8") as fh:
                    get_renderer(fmt)(report, fh, ctx)
            except OSError as e:
                fail(f"{target}: cannot write report: {e.strerror or e}")
    if report.errors:
        return EXIT_ERROR
    if any(f.severity >= threshold for f in report.all_findings()):
        return EXIT_FINDINGS
    return EXIT_OK


def with_usage_errors(f):
    """Turn engine UsageError into one line and exit 2."""
    @functools.wraps(f)
    def wrapper(*a, **kw):
        from kubeward.engine import UsageError
        try:
            return f(*a, **kw)
        except UsageError as e:
            fail(str(e))
    return wrapper


def wants_html(outputs) -> bool:
    return any(fmt == "html" for fmt, _ in parse_outputs(outputs))


def add_views(report, options, outputs, extra: dict, *, attack_paths: bool = False,
              history: str | None = None, command: str = "scan", inputs=()) -> None:
    """The views a report may carry besides its findings: the attack paths
    (``--attack-paths``, and always for ``-o html``) and the history
    (``--history FILE``: this run is recorded first, so the trend includes
    it). They go into ``extra`` for the renderers."""
    if attack_paths or wants_html(outputs):
        if report.scanned or not report.objects:
            from kubeward.cli.attack import attack_paths as build
            extra["attackPaths"] = build(report.scanned, options)
            extra["attackPathsShown"] = attack_paths
        else:
            report.notes.append("attack paths need every object in one process: not "
                                "available with --jobs when no cross-object check runs")
    if history:
        from kubeward.history import HistoryError, record, view
        try:
            run_id = record(history, report, command=command, inputs=list(inputs),
                            compliance=extra.get("compliance"))
            extra["history"] = view(history, run_id)
        except HistoryError as e:
            fail(str(e))
