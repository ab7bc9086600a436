"""Scan speed benchmark.

Generates N manifests (deterministic from --seed) of one of two shapes:
``--shape realistic`` (the default: ``bench/realistic.py``, a multi-team
cluster with RBAC, NetworkPolicies, cluster-wide bindings to groups) or
``--shape homogeneous`` (the earlier corpus: five documents per file, few
RBAC objects and policies, 50 namespaces), then times
  1. `kubeward scan` of the folder (a fresh process, start-up included),
  2. a plain PyYAML C-loader parse of the same files (a fresh process),
  3. `kubeward scan` of one small file (start-up included),
and prints documents per second, the ratio of (1) to (2) (by wall time, the
best of --repeat runs, and by CPU time, which a busy machine disturbs less)
and peak memory.

    python bench/scan_bench.py --docs 10000 --seed 1 [--shape homogeneous] [--jobs 1] [--repeat 3]

Targets (docs/benchmarks.md): ratio <= 2.0; 10,000 documents < 5 s on one
core; one small file < 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

VERBS = ("watch", "create", '"*"')
KINDS = ("Deployment", "Service", "ConfigMap", "StatefulSet", "DaemonSet", "CronJob", "Role",
         "RoleBinding", "ServiceAccount", "Ingress", "NetworkPolicy", "Pod")


def workload(rng: random.Random, kind: str, i: int, ns: str) -> str:
    name = f"app-{i}"
    hardened = rng.random() < 0.5
    sc = ("          securityContext:\n            allowPrivilegeEscalation: false\n"
          "            readOnlyRootFilesystem: true\n            capabilities:\n              drop: [\"ALL\"]\n"
          if hardened else
          "          securityContext:\n            privileged: %s\n" % rng.choice(["true", "false"]))
    pod_sc = ("      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n"
              "        seccompProfile:\n          type: RuntimeDefault\n" if hardened else "")
    env = "".join(f"            - name: VAR_{k}\n              value: \"value-{k}\"\n" for k in range(rng.randint(1, 5)))
    containers = "".join(f"""\
        - name: c{j}
          image: registry.example.com/team/{name}:{rng.randint(1, 9)}.{rng.randint(0, 20)}.0
          ports:
            - containerPort: {8080 + j}
              name: http{j}
          env:
{env}          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          livenessProbe:
            httpGet: {{path: /healthz, port: {8080 + j}}}
{sc}""" for j in range(rng.randint(1, 3)))
    spec = f"""\
    metadata:
      labels:
        app: {name}
        tier: {rng.choice(['web', 'api', 'worker'])}
    spec:
      serviceAccountName: {name}
{pod_sc}      containers:
{containers}"""
    head = f"apiVersion: {'batch/v1' if kind == 'CronJob' else 'apps/v1'}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app: {name}\n"
    if kind == "CronJob":
        return head + "spec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n" + "\n".join("    " + l if l else l for l in spec.splitlines()) + "\n"
    if kind == "Pod":
        body = "\n".join(l[4:] for l in spec.splitlines())
        return f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n" + "spec:" + body.split("spec:", 1)[1] + "\n"
    return head + f"spec:\n  replicas: {rng.randint(1, 5)}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n" + spec


def other(rng: random.Random, kind: str, i: int, ns: str) -> str:
    name = f"obj-{i}"
    if kind == "Service":
        return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
                f"  type: {rng.choice(['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer'])}\n"
                f"  selector:\n    app: app-{i}\n  ports:\n    - port: 80\n      targetPort: 8080\n")
    if kind == "ConfigMap":
        data = "".join(f"  key{k}: \"some value {k} {rng.random():.6f}\"\n" for k in range(rng.randint(2, 10)))
        return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n{data}"
    if kind == "Role":
        return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"rules:\n  - apiGroups: [\"\"]\n    resources: [{rng.choice(['pods', 'secrets', 'configmaps'])}]\n"
                f"    verbs: [get, list, {rng.choice(VERBS)}]\n")
    if kind == "RoleBinding":
        return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
                f"roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: obj-{i - 1}\n"
                f"subjects:\n  - kind: ServiceAccount\n    name: app-{i}\n    namespace: {ns}\n")
    if kind == "ServiceAccount":
        return f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app-{i}\n  namespace: {ns}\n"
    if kind == "Ingress":
        return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
                f"  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n          - path: /\n"
                f"            pathType: Prefix\n            backend:\n              service:\n                name: obj-{i}\n"
                f"                port:\n                  number: 80\n")
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
            f"spec:\n  podSelector:\n    matchLabels:\n      app: app-{i}\n  policyTypes: [Ingress]\n"
            f"  ingress:\n    - from:\n        - podSelector: {{}}\n")


def generate(folder: str, docs: int, seed: int, per_file: int = 5) -> int:
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    n = 0
    f = 0
    while n < docs:
        parts = []
        ns = f"team-{rng.randint(0, 49)}"
        for _ in range(min(per_file, docs - n)):
            kind = rng.choice(KINDS)
            if kind in ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Pod"):
                parts.append(workload(rng, kind, n, ns))
            else:
                parts.append(other(rng, kind, n, ns))
            n += 1
        with open(os.path.join(folder, f"m{f:05d}.yaml"), "w") as fh:
            fh.write("---\n".join(parts))
        f += 1
    return n


PARSE = ("import os,sys,yaml\n"
         "n=0\n"
         "for root,_,files in os.walk(sys.argv[1]):\n"
         "  for f in sorted(files):\n"
         "    with open(os.path.join(root,f),'rb') as fh:\n"
         "      n+=sum(1 for d in yaml.load_all(fh.read(),Loader=yaml.CSafeLoader) if d is not None)\n"
         "print(n)\n")


# Runs the command from a small process and reports its wall time and peak
# RSS there: a child's ru_maxrss also counts the memory of the process it was
# spawned from (the high-water mark survives fork/vfork and exec), and this
# process holds the parsed JSON report of the previous run.
TIMER = ("import json,resource,subprocess,sys,time\n"
         "t=time.perf_counter()\n"
         "rc=subprocess.run(sys.argv[2:]).returncode\n"
         "dt=time.perf_counter()-t\n"
         "ru=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
         "open(sys.argv[1],'w').write(json.dumps([dt,ru.ru_maxrss,ru.ru_utime+ru.ru_stime]))\n"
         "sys.exit(rc)\n")


def timed(cmd: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS in KiB, completed process) of ``cmd``; its CPU
    seconds (user + system) are appended to ``CPU``."""
    fd, stats = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        p = subprocess.run([sys.executable, "-c", TIMER, stats, *cmd],
                           capture_output=True, text=True)
        with open(stats) as fh:
            dt, rss, cpu = json.load(fh)
    finally:
        os.unlink(stats)
    CPU.append(cpu)
    return dt, rss, p


CPU: list[float] = []


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=0, help="kubeward --jobs (0: automatic)")
    ap.add_argument("--shape", choices=("realistic", "homogeneous"), default="realistic")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="kubeward-bench-")
    try:
        if args.shape == "realistic":
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            from realistic import generate as generate_realistic
            n = generate_realistic(folder, args.docs, args.seed)
        else:
            n = generate(folder, args.docs, args.seed)
        scan_cmd = [sys.executable, "-m", "kubeward", "scan", "-o", "json", "--jobs", str(args.jobs), folder]
        parse_cmd = [sys.executable, "-c", PARSE, folder]
        small = os.path.join(folder, "m00000.yaml") if args.shape == "homogeneous" else \
            os.path.join(folder, "team-000", "namespace.yaml")
        small_cmd = [sys.executable, "-m", "kubeward", "scan", "-o", "json", small]
        scan_t, parse_t, small_t = [], [], []
        scan_cpu, parse_cpu = [], []
        rss = 0
        for _ in range(args.repeat):
            dt, _, p = timed(parse_cmd)
            parse_t.append(dt)
            parse_cpu.append(CPU[-1])
            dt, r, p = timed(scan_cmd)
            scan_t.append(dt)
            scan_cpu.append(CPU[-1])
            rss = max(rss, r)
            if p.returncode not in (0, 1):
                print(p.stderr, file=sys.stderr)
                return 2
            report = json.loads(p.stdout)
            dt, _, _ = timed(small_cmd)
            small_t.append(dt)
        best_scan, best_parse, best_small = min(scan_t), min(parse_t), min(small_t)
        result = {
            "documents": n,
            "shape": args.shape,
            "seed": args.seed,
            "files": sum(len(fs) for _, _, fs in os.walk(folder)),
            "objectsScanned": report["summary"]["objectsScanned"],
            "findings": report["summary"]["findings"],
            "checksRun": report["summary"]["checksRun"],
            "jobs": args.jobs,
            "scanSeconds": round(best_scan, 3),
            "parseSeconds": round(best_parse, 3),
            "ratioToParse": round(best_scan / best_parse, 2),
            "documentsPerSecond": round(n / best_scan),
            # CPU time (user + system) is steadier than wall time on a busy machine
            "scanCpuSeconds": round(min(scan_cpu), 3),
            "parseCpuSeconds": round(min(parse_cpu), 3),
            "cpuRatioToParse": round(min(scan_cpu) / min(parse_cpu), 2),
            "smallFileSeconds": round(best_small, 3),
            "peakRssMiB": round(rss / 1024, 1),
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept {folder}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
