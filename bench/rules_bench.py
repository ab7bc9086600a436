"""Custom CEL rules benchmark.

Generates the documents of bench/scan_bench.py (deterministic from --seed)
and --rules custom rules spread over the generated kinds (label, image,
replica, name, port and resource rules, each with its own constant so no
two are alike), then times `kubeward scan` of the folder (a fresh process,
start-up and rule compilation included) without and with the rules, and
prints the ratio (wall time, best of --repeat; and CPU time, which a busy
machine disturbs less), rule findings and compile time.

    python bench/rules_bench.py --docs 10000 --rules 1000 --seed 1 [--repeat 3] [--jobs 1]
        [--failing 100]

Target (docs/policies.md): 1,000 rules over 10,000 documents in under 2x the
time of the same scan without rules.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scan_bench import CPU, KINDS, generate, timed  # noqa: E402

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
TEMPLATES = {
    "workload": [
        "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/') || c.image.startsWith('mirror{i}.example.com/'))",
        "object.spec.template.spec.containers.all(c, !has(c.resources) || !has(c.resources.limits) || !('memory' in c.resources.limits) || quantity(c.resources.limits.memory).compareTo(quantity('{i}Gi')) <= 0)",
        "object.spec.?replicas.orValue(1) <= {i}",
        "object.spec.template.spec.containers.all(c, c.name.size() <= 63 && c.name != 'forbidden-{i}')",
        "!object.spec.template.spec.containers.exists(c, has(c.ports) && c.ports.exists(p, p.containerPort == {port}))",
        "'tier' in object.spec.template.metadata.?labels.orValue({{}}) || object.metadata.name.startsWith('legacy-{i}')",
    ],
    "any": [
        "object.metadata.name.size() <= 253 && object.metadata.name != 'banned-{i}'",
        "!('owner-{i}' in object.metadata.?labels.orValue({{}}))",
        "object.metadata.?namespace.orValue('default') != 'forbidden-{i}'",
        "!object.metadata.name.matches('^tmp-{i}-')",
    ],
}


#: a rule that fails on almost every object (generated names are longer)
FAILING = "object.metadata.name.size() <= 4 || object.metadata.name == 'x{i}'"


def rules_yaml(n: int, seed: int, failing: int = 0) -> str:
    """``n`` rules; every (n // failing)-th of them one that fails on almost
    every object of its kind (``failing`` such rules; 0: none)."""
    rng = random.Random(seed)
    kinds = list(KINDS)
    out = ["apiVersion: kubeward.io/v1alpha1", "kind: RuleSet", "rules:"]
    step = n // failing if failing else 0
    for i in range(n):
        kind = kinds[i % len(kinds)]
        family = "workload" if kind in WORKLOADS and rng.random() < 0.7 else "any"
        expr = rng.choice(TEMPLATES[family]).format(i=i + 2, port=20000 + i)
        if step and i % step == 0 and i // step < failing:
            expr = FAILING.format(i=i)
        prefix = "B" + "".join(chr(65 + (i // 26 ** k) % 26) for k in range(2))
        out += [f"  - id: {prefix}{i % 1000:03d}", f"    name: Bench rule {i}",
                "    severity: low", f"    kinds: [{kind}]", "    validations:",
                f"      - expression: {json.dumps(expr)}", f"        message: bench rule {i}"]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--failing", type=int, default=0,
                    help="how many of the rules fail on almost every object of their kind "
                         "(default 0: every rule holds, the usual case in CI)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="pass --jobs to both scans (1: one process); default: kubeward's own")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="kubeward-rules-bench-")
    try:
        docs = os.path.join(folder, "docs")
        n = generate(docs, args.docs, args.seed)
        rules = os.path.join(folder, "rules.yaml")
        with open(rules, "w") as fh:
            fh.write(rules_yaml(args.rules, args.seed, args.failing))
        t0 = time.perf_counter()
        from kubeward.checks.custom import register_rules
        from kubeward.policy.rules import load_rules
        loaded, errors = load_rules([rules])
        compile_s = time.perf_counter() - t0
        if errors:
            print("\n".join(e.one_line() for e in errors[:5]), file=sys.stderr)
            return 2
        register_rules(loaded)
        jobs = ["--jobs", str(args.jobs)] if args.jobs is not None else []
        base = [sys.executable, "-m", "kubeward", "scan", "-o", "json", *jobs, docs]
        with_rules = [*base[:-1], "--rules", rules, docs]
        plain_t, rules_t, plain_cpu, rules_cpu = [], [], [], []
        found = 0
        for _ in range(args.repeat):
            dt, _, p = timed(base)
            plain_t.append(dt)
            plain_cpu.append(CPU[-1])
            dt, _, p = timed(with_rules)
            rules_t.append(dt)
            rules_cpu.append(CPU[-1])
            if p.returncode not in (0, 1):
                print(p.stderr[-2000:], file=sys.stderr)
                return 2
            report = json.loads(p.stdout)
            found = sum(1 for f in report["findings"] if f["checkId"].startswith("B"))
        result = {
            "jobs": args.jobs if args.jobs is not None else "default", "documents": n,
            "failingRules": args.failing, "rules": len(loaded), "ruleFindings": found,
            "ruleCompileSeconds": round(compile_s, 2),
            "scanSeconds": round(min(plain_t), 2), "scanWithRulesSeconds": round(min(rules_t), 2),
            "ratio": round(min(rules_t) / min(plain_t), 2),
            "cpuRatio": round(min(rules_cpu) / min(plain_cpu), 2),
        }
        print(json.dumps(result, indent=2))
        return 0 if result["ratio"] < 2.0 else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
