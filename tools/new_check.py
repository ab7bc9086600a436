"""Scaffold a new check: the class with the five docstring sections, and its
fixture folder. See CONTRIBUTING.md ("Add a check in ten minutes").

    python tools/new_check.py CTR018 --module container --name "Pod shares the host's users" \\
        --severity high --pod-field hostUsers --value true

With ``--pod-field FIELD --value VALUE`` the check is complete: it reports
every workload whose pod spec sets FIELD to VALUE, and the fixtures
(``tests/checks/ID/pass1.yaml``, ``fail1.yaml`` with its ``# expect:``
header) prove it; edit the docstring and the metadata. Without them,
``check()`` raises NotImplementedError until you write the rule, so the
fixture tests fail until the check is real. Then run ``python -m
kubeward.docgen`` and the tests.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEVERITIES = ("critical", "high", "medium", "low", "info")

CLASS = '''

class {cls}(Check):
    """
    ## What it does
    {what}

    ## Why is this bad?
    Say what an attacker or an accident gains, and cite the source (Pod
    Security Standards, CIS, NSA/CISA, the Kubernetes documentation).

    ## Example
    ```yaml
    {example}
    ```

    ## Use instead
    ```yaml
    {instead}
    ```

    ## Fix safety
    No automatic fix.
    """

    id = "{id}"
    name = "{name}"
    severity = Severity.{severity}
    workloads_only = True  # or: kinds = frozenset({{"Service"}}) for other kinds
    #: framework -> control ids, e.g. {{"cis": ("5.2.2",)}}; each id must be a
    #: control of kubeward/data/frameworks/<framework>.yaml
    frameworks: dict = {{}}
    #: the same rule in other tools (kubeward checks --tool, docs/migration.md)
    crosswalk: dict = {{}}
    remediation = "{remediation}"

    def check(self, obj, ctx):
{body}
'''

RULE = '''        value = obj.pod.spec.get("{field}")
        if value {op} {value!r}:
            yield self.finding(obj, obj.pod.path + ("{field}",),
                               f"pod sets {field}: {{describe_value(value)}}", value=value)'''

TODO = '''        raise NotImplementedError("{id}: write the rule here (yield self.finding(obj, path, "
                                  "message, value=...)), then tests/checks/{id}/*.yaml")'''

MODULE = '''"""{title} ({id}..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.
"""

from __future__ import annotations

from kubeward.checks.base import Check, Severity, describe_value  # noqa: F401
'''

WORKLOAD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
{extra}      containers:
        - name: web
          image: registry.example.com/web:1.2.3
"""


def yaml_scalar(text: str):
    import yaml
    return yaml.safe_load(text)


def class_name(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name.replace("'", ""))
    cls = "".join(w[:1].upper() + w[1:] for w in words) or "NewCheck"
    return cls if cls[0].isalpha() else "Check" + cls


def scaffold(root: Path, check_id: str, module: str, name: str, severity: str,
             pod_field: str | None = None, value: str | None = None) -> list[Path]:
    """Write the class and the fixtures; return the files written or changed."""
    import json

    if not re.fullmatch(r"[A-Z]{2,6}[0-9]{3}", check_id):
        raise SystemExit(f"new_check: {check_id!r} is not a check id like CTR018")
    if not re.fullmatch(r"[a-z_]+", module):
        raise SystemExit(f"new_check: {module!r} is not a module name like container")
    fixtures = root / "tests" / "checks" / check_id
    if fixtures.exists():
        raise SystemExit(f"new_check: {fixtures} exists already")
    for existing in (root / "kubeward" / "checks").glob("*.py"):
        if re.search(rf'^\s+id = "{check_id}"$', existing.read_text(), re.M):
            raise SystemExit(f"new_check: {check_id} is already defined in {existing.name}")
    written = []
    path = root / "kubeward" / "checks" / f"{module}.py"
    if not path.exists():
        path.write_text(MODULE.format(title=name, id=check_id))
        init = root / "kubeward" / "checks" / "__init__.py"
        text = init.read_text()
        text = text.replace('CHECK_MODULES: tuple[str, ...] = (\n',
                            f'CHECK_MODULES: tuple[str, ...] = (\n    "kubeward.checks.{module}",\n', 1)
        init.write_text(text)
        written.append(init)
    source = path.read_text()
    if "describe_value" not in source.split("\nclass ", 1)[0]:
        source = source.replace("from kubeward.checks.base import ",
                                "from kubeward.checks.base import describe_value, ", 1)
    if pod_field:
        val = yaml_scalar(value if value is not None else "true")
        shown = json.dumps(val)
        op = "is" if val is None or isinstance(val, bool) else "=="
        body = RULE.format(field=pod_field, value=val, op=op)
        what = f"Reports workloads whose pod spec sets `{pod_field}: {shown}`."
        example = f"spec:\n      {pod_field}: {shown}"
        instead = f"spec:\n      {pod_field}: ...  # or leave it out"
        remediation = f"Remove spec.{pod_field} or set it to a safe value."
    else:
        body = TODO.format(id=check_id)
        what = "Reports ... (one sentence: what the check looks at and when it fires)."
        example = "# the smallest manifest that fires"
        instead = "# the same manifest, fixed"
        remediation = "Say what to change, in one sentence."
    source = source.rstrip("\n") + "\n" + CLASS.format(
        cls=class_name(name), what=what, example=example, instead=instead, id=check_id,
        name=name.replace('"', "'"), severity=severity.upper(), remediation=remediation,
        body=body)
    path.write_text(source)
    written.append(path)
    fixtures.mkdir(parents=True)
    if pod_field:
        line = WORKLOAD.format(extra="").splitlines().index("    spec:") + 2 + 1  # header line
        fail = (f"# expect: {check_id} spec.template.spec.{pod_field} line {line}\n"
                + WORKLOAD.format(extra=f"      {pod_field}: {shown}\n"))
        ok = WORKLOAD.format(extra="")
    else:
        fail = (f"# expect: {check_id} <field path> line <N>\n"
                "# (replace with the manifest that fires, one expect line per finding)\n"
                + WORKLOAD.format(extra=""))
        ok = WORKLOAD.format(extra="")
    (fixtures / "fail1.yaml").write_text(fail)
    (fixtures / "pass1.yaml").write_text(ok)
    written += [fixtures / "fail1.yaml", fixtures / "pass1.yaml"]
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("check_id", metavar="ID")
    ap.add_argument("--module", required=True,
                    help="kubeward/checks/<module>.py to add the class to (created if new)")
    ap.add_argument("--name", required=True, help="short name: what is wrong")
    ap.add_argument("--severity", choices=SEVERITIES, default="medium")
    ap.add_argument("--pod-field", help="report workloads whose pod spec sets this field ...")
    ap.add_argument("--value", help="... to this value (YAML scalar; default true)")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    for p in scaffold(a.root, a.check_id.upper(), a.module, a.name, a.severity, a.pod_field,
                      a.value):
        print(f"wrote {p.relative_to(a.root)}")
    print("next: edit the docstring and metadata, then `python -m kubeward.docgen` and "
          f"`python -m pytest -q -p no:cacheprovider tests/checks -k {a.check_id.upper()}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
