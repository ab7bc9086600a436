"""RBAC rules that grant nothing: the API server accepts any string as a
resource, API group or verb, so a typo, a singular, a resource under the
wrong API group or a cluster-scoped resource in a namespaced Role is stored
silently and never matches a request. The rule hides the intent of its
author: kubeward says what it would grant if corrected, from the built-in
resource table of the target Kubernetes version (``--k8s-version``).

Only rules whose API groups are all built-in groups are checked: extension
API servers and CRDs define their own resources (and, for aggregated APIs,
verbs), which kubeward cannot know.
"""

from __future__ import annotations

import difflib

from kubeward.checks.base import Check, Severity
from kubeward.checks.rbac import ROLE_KINDS, Rule, rules_of
from kubeward.model.apiresources import (BUILTIN_GROUPS, KNOWN_VERBS, UNIVERSAL_SUBRESOURCES,
                                         any_version, groups_of, names_in, resources)

_GERUND = {
    "get": "getting", "list": "listing", "watch": "watching", "create": "creating",
    "update": "updating", "patch": "patching", "delete": "deleting",
    "deletecollection": "deleting collections of", "proxy": "proxying to", "use": "using",
    "bind": "binding", "escalate": "escalating", "impersonate": "impersonating",
    "approve": "approving", "sign": "signing", "attest": "attesting",
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] \
        if items else ""


def _group_text(group: str) -> str:
    return '"" (core)' if group == "" else f'"{group}"'


def _version_text(version: tuple[int, int]) -> str:
    return "%d.%d" % version


class RuleGrantsNothing(Check):
    """
    ## What it does
    Reports entries of Role and ClusterRole rules that can never match a
    request, with a "did you mean" and what the rule would grant if
    corrected:

    - a resource that the listed API groups do not serve in the target
      Kubernetes version: a singular (`pod`), a kind (`Deployment`), a typo,
      or a resource of another group (`rolebindings` or `networkpolicies`
      under the core group `""`);
    - a subresource the resource does not have (`pods/logs`);
    - a cluster-scoped resource (`nodes/proxy`, `persistentvolumes`) in a
      namespaced Role, which only grants requests inside its namespace;
    - a verb Kubernetes does not know (`gets`, `Get`).

    Rules of extension API groups (CRDs, aggregated APIs) are not checked.

    ## Why is this bad?
    The API server stores such a rule without complaint, and it grants
    nothing. The workload that needed the permission fails at run time, and
    whoever reads the Role believes it grants something it does not (or,
    worse, someone "fixes" it later with a wildcard).

    ## Example
    ```yaml
    kind: Role
    rules:
      - apiGroups: [""]
        resources: ["pod", "rolebindings"]
        verbs: ["create"]
    ```

    ## Use instead
    ```yaml
    kind: Role
    rules:
      - apiGroups: [""]
        resources: ["pods"]
        verbs: ["create"]
      - apiGroups: ["rbac.authorization.k8s.io"]
        resources: ["rolebindings"]
        verbs: ["create"]
    ```

    ## Fix safety
    No automatic fix: the corrected rule grants more than today's rule
    does, which its owner must decide.
    """

    id = "RBAC030"
    name = "RBAC rule entry that grants nothing"
    severity = Severity.LOW
    kinds = ROLE_KINDS
    remediation = ("Correct the entry (plural, lower-case resource names of the right API "
                   "group; a ClusterRole for cluster-scoped resources), or remove it.")

    def check(self, obj, ctx):
        version = ctx.k8s_version
        in_role = obj.kind == "Role"
        for rule in rules_of(obj):
            if not rule.groups or not all(g in BUILTIN_GROUPS for g in rule.groups):
                continue  # "*" or an extension group: resources unknown here
            if rule.raw.get("nonResourceURLs"):
                continue
            yield from self._verbs(obj, rule, version)
            yield from self._resources(obj, rule, version, in_role)

    # -- verbs -------------------------------------------------------------
    def _verbs(self, obj, rule: Rule, version):
        for vi, verb in enumerate(rule.verbs):
            if verb == "*" or verb in KNOWN_VERBS:
                continue
            guess = verb.lower() if verb.lower() in KNOWN_VERBS else next(
                iter(difflib.get_close_matches(verb.lower(), sorted(KNOWN_VERBS), 1, 0.6)),
                None)
            if guess is None:
                hint = f"known verbs: {', '.join(sorted(KNOWN_VERBS))}"
            else:
                verbs = [guess if v == verb else v for v in rule.verbs]
                hint = f"did you mean \"{guess}\"? {self._would(rule, verbs, version)}"
            yield self.finding(obj, rule.path + ("verbs", vi),
                               f"rules[{rule.index}] verb \"{verb}\" is not a Kubernetes verb "
                               f"and grants nothing: {hint}", value=verb)

    # -- resources ---------------------------------------------------------
    def _resources(self, obj, rule: Rule, version, in_role: bool):
        table = resources(version)
        for ri, res in enumerate(rule.resources):
            if res == "*" or res.startswith("*/"):
                continue
            base, _, sub = res.partition("/")
            found = [table[(g, base)] for g in rule.groups if (g, base) in table]
            if found:
                msg = self._sub_or_scope(rule, res, base, sub, found, in_role, version)
            else:
                msg = self._unknown(rule, res, base, sub, version)
            if msg:
                yield self.finding(obj, rule.path + ("resources", ri), msg, value=res)

    def _sub_or_scope(self, rule, res, base, sub, found, in_role, version) -> str | None:
        groups = ", ".join(_group_text(g) for g in rule.groups)
        if sub and sub not in UNIVERSAL_SUBRESOURCES \
                and not any(sub in r.subresources for r in found):
            subs = sorted({s for r in found for s in r.subresources})
            guess = next(iter(difflib.get_close_matches(sub, subs, 1, 0.6)), None)
            head = (f"rules[{rule.index}] resource \"{res}\" grants nothing: {base} has no "
                    f"subresource \"{sub}\" in Kubernetes {_version_text(version)}")
            if guess is None:
                return f"{head} (it has: {', '.join(subs) or 'none'})"
            fixed = f"{base}/{guess}"
            return (f"{head}; did you mean \"{fixed}\"? "
                    f"{self._would(rule, rule.verbs, version, [fixed])}")
        if in_role and base != "namespaces" and all(not r.namespaced for r in found):
            # a Role's rules only match requests in its own namespace
            return (f"rules[{rule.index}] resource \"{res}\" (API group {groups}) is "
                    "cluster-scoped, and a namespaced Role grants nothing on it; did you mean "
                    "a ClusterRole (bound with a ClusterRoleBinding)? There, "
                    f"{self._would(rule, rule.verbs, version, [res], lead=False)}")
        return None

    def _unknown(self, rule, res, base, sub, version) -> str:
        groups = ", ".join(_group_text(g) for g in rule.groups)
        head = (f"rules[{rule.index}] resource \"{res}\" grants nothing: API group{'s' if len(rule.groups) > 1 else ''} "
                f"{groups} {'do' if len(rule.groups) > 1 else 'does'} not serve \"{base}\" in "
                f"Kubernetes {_version_text(version)}")
        suffix = f"/{sub}" if sub else ""
        # a singular or a kind: the plural, lower-case name of the same group
        low = base.lower()
        for g in rule.groups:
            for r in resources(version).values():
                if r.group == g and low in (r.kind.lower(), r.resource, r.resource[:-1],
                                            r.resource[:-2], r.resource[:-3] + "y"):
                    fixed = r.resource + suffix
                    return (f"{head}; did you mean \"{fixed}\" (resources are plural and "
                            f"lower case)? {self._would(rule, rule.verbs, version, [fixed])}")
        # served by another release (an API group removed since, or not yet added)
        for g in rule.groups:
            r = any_version(g, base)
            if r is not None:
                when = (f"added in {_version_text(r.since)}" if r.since > version
                        else f"removed in {_version_text(r.removed)}")
                now = groups_of(base, version)
                if now:
                    when += f"; served today by API group {_group_text(now[0])}"
                return f"{head} ({when}; see --k8s-version)"
        # the right name under another group
        for name in dict.fromkeys((low, low + "s", low + "es")):
            others = [g for g in groups_of(name, version) if g not in rule.groups]
            if others:
                alt = others[0]
                fixed = name + suffix
                return (f"{head}; did you mean apiGroups [{_group_text(alt)}] for "
                        f"\"{fixed}\"? With that group, "
                        f"{self._would(rule, rule.verbs, version, [fixed], [alt], lead=False)}")
        # a typo
        names = sorted({n for g in rule.groups for n in names_in(g, version)})
        guess = next(iter(difflib.get_close_matches(low, names, 1, 0.75)), None)
        if guess is not None:
            fixed = guess + suffix
            return (f"{head}; did you mean \"{fixed}\"? "
                    f"{self._would(rule, rule.verbs, version, [fixed])}")
        return head

    # -- what a corrected rule would grant ------------------------------------
    def _would(self, rule: Rule, verbs, version, res=None, groups=None, lead=True) -> str:
        table = resources(version)
        groups = groups if groups is not None else rule.groups
        what = []
        for r in (res if res is not None else rule.resources):
            base, _, sub = r.partition("/")
            known = next((table[(g, base)] for g in groups if (g, base) in table), None)
            if known is not None:
                what.append(f"{sub} of {known.kind_plural}" if sub else known.kind_plural)
            elif r == "*":
                what.append("every resource")
        if not what:
            what = list(res or rule.resources)
        if "*" in verbs:
            doing = f"every verb on {_and(what)}"
        else:
            doing = (_and([_GERUND[v] for v in dict.fromkeys(verbs) if v in KNOWN_VERBS])
                     or "nothing on") + " " + _and(what)
        text = f"it would allow {doing}"
        return ("Corrected, " + text if lead else text) + "."
