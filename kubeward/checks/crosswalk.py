"""The crosswalk to other tools' rules, read from ``kubeward/data/crosswalk.yaml``.

For each rule of kube-linter, Checkov, Polaris, kube-score, Kubescape and
Trivy: the kubeward checks that replace it, each with a relation
(``equivalent``, ``narrower``, ``broader``, ``related``), a note on the
differences, and whether a difference is kubeward following Kubernetes more
exactly. Read once, on demand (``kubeward checks``, ``explain``, docgen),
never on the scan path.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

TOOLS = ("kube-linter", "checkov", "polaris", "kube-score", "kubescape", "trivy")
RELATIONS = ("equivalent", "narrower", "broader", "related")


@dataclass(frozen=True, slots=True)
class Mapping:
    tool: str
    rule: str
    title: str
    check: str
    relation: str
    note: str = ""
    kubernetes: bool = False  # the difference is kubeward following Kubernetes
    fixture: str = ""  # equivalent only: tests/checks/<check>/{pass,fail}-xw-<fixture>.yaml
    checked: str = ""  # where the peer rule was read

    def as_dict(self) -> dict:
        d = {"tool": self.tool, "rule": self.rule, "title": self.title,
             "relation": self.relation}
        if self.note:
            d["note"] = self.note
        if self.kubernetes:
            d["kubernetesSemantics"] = True
        return d


def normalise_rule(rule: str) -> str:
    """Trivy's KSV-0001 (0.6x and later) and KSV001 name the same rule."""
    m = re.fullmatch(r"(?i)KSV-?0*(\d+)", rule.strip())
    return f"KSV{int(m.group(1)):03d}" if m else rule.strip()


@functools.lru_cache(maxsize=1)
def mappings() -> tuple[Mapping, ...]:
    import yaml

    text = resources.files("kubeward").joinpath("data/crosswalk.yaml").read_text()
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out = []
    for tool, rules in data.items():
        for rule, entry in rules.items():
            for m in entry["maps"]:
                out.append(Mapping(tool, str(rule), entry.get("title", ""), m["check"],
                                   m["relation"], m.get("note", ""), bool(m.get("kubernetes")),
                                   m.get("fixture", ""), entry.get("checked", "")))
    return tuple(out)


def for_check(check_id: str) -> list[Mapping]:
    """The peer rules a check replaces, in tool order."""
    order = {t: i for i, t in enumerate(TOOLS)}
    return sorted((m for m in mappings() if m.check == check_id),
                  key=lambda m: (order.get(m.tool, 99), m.rule))


def by_tool(check_id: str) -> dict[str, list[str]]:
    """{tool: [rule, ...]} for one check (the short form in listings)."""
    out: dict[str, list[str]] = {}
    for m in for_check(check_id):
        out.setdefault(m.tool, []).append(m.rule)
    return out


def for_tool(tool: str, rule: str | None = None) -> list[Mapping]:
    """Every mapping of one tool (optionally one rule of it)."""
    want = normalise_rule(rule) if rule else None
    return [m for m in mappings() if m.tool == tool
            and (want is None or normalise_rule(m.rule) == want)]
