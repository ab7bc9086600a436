"""Service time of the admission webhook's cross-resource checks
(``--cluster --cross-checks``), in process: a cluster view of the objects
the webhook watches (RBAC, ServiceAccounts, Services, NetworkPolicies,
Ingresses, LimitRanges, quotas, PDBs, HPAs) taken from the realistic corpus
(``bench/realistic.py``), then AdmissionReviews of the corpus's Deployments
(UPDATE, so each replaces its stored version) answered one after the other.
Prints the per-review time percentiles, with and without cross checks.
As the server does once its view is synced, the shared analyses of every
namespace are built before the first review (``AdmissionPolicy.warm``;
``--no-warm``: each namespace's first review builds them).

    python bench/admission_cross_bench.py --docs 20000 --view 10000 --reviews 2000
    python bench/admission_cross_bench.py --compare   # shared analyses == fresh ones

``--compare``: a CREATE review of every workload of the corpus, answered
with the analyses shared per namespace and built on the first review, with
them built and solved before the first review (``AdmissionPolicy.warm``,
what the server does once the view is synced), and with fresh analyses per
review; prints how many answers differ from the fresh ones (exit 1 if any).

This is the time one server worker spends per review, not the latency an
API server sees at a given rate (``bench/admission_bench.py --rate`` measures
that, without a cluster view): at R reviews/s over W workers, queueing stays
small while R/W times this service time is well below one second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from realistic import cached  # noqa: E402


class View:
    """The part of ``WatchedNamespaces`` the policy reads: labels and the
    context objects of a namespace plus the cluster-scoped ones."""

    has_context = True
    source = "benchmark"

    def __init__(self, objects):
        self.by_ns: dict = {}
        for o in objects:
            self.by_ns.setdefault(o.namespace, []).append(o)
        self.version = 1

    def labels(self, name):
        return {}

    def ready(self):
        return True

    def context(self, namespace):
        return [*self.by_ns.get(None, ()), *(self.by_ns.get(namespace, ()) if namespace else ())]

    def context_namespaces(self):
        return sorted(ns for ns in self.by_ns if ns is not None)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def review(i: int, obj, operation: str) -> dict:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": str(i), "operation": operation,
                        "namespace": obj.namespace, "name": obj.name,
                        "kind": {"group": "apps", "version": "v1", "kind": obj.kind},
                        "userInfo": {"username": "alice"},
                        "object": json.loads(json.dumps(obj.raw))}}


def compare(view_objs, workloads) -> int:
    from kubeward.admission.policy import AdmissionPolicy

    answers = []
    warmed_namespaces = 0
    for mode in ("shared", "warmed", "fresh"):
        policy = AdmissionPolicy()
        policy.set_namespaces(View(view_objs))
        if mode == "fresh":
            policy._shared_with = lambda *args: (None, None)
        elif mode == "warmed":  # built and solved before the first review, as the server does
            warmed_namespaces = policy.warm()
        answers.append([json.dumps(policy.validate(review(i, w, "CREATE")).review(),
                                   sort_keys=True) for i, w in enumerate(workloads)])
    shared, warmed, fresh = answers
    differ = sum(a != b for a, b in zip(shared, fresh))
    differ += sum(a != b for a, b in zip(warmed, fresh))
    print(json.dumps({"workloads": len(workloads), "viewObjects": len(view_objs),
                      "warmedNamespaces": warmed_namespaces, "differ": differ,
                      "withNetworkFindings": sum("XNET" in a for a in shared),
                      "withRbacFindings": sum("XRBAC" in a for a in shared)}, indent=2))
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=20000, help="corpus size")
    ap.add_argument("--view", type=int, default=10000, help="objects in the cluster view")
    ap.add_argument("--reviews", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-warm", action="store_true",
                    help="do not build the shared analyses before the first review "
                         "(each namespace's first review builds them)")
    ap.add_argument("--compare", action="store_true",
                    help="compare shared and fresh analyses on every workload instead")
    args = ap.parse_args()
    from kubeward.admission.namespaces import CONTEXT_KINDS
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.loading.files import load_paths

    objects = load_paths([cached(args.docs, args.seed)]).objects
    kinds = {k for _, k in CONTEXT_KINDS}
    view_objs = [o for o in objects if o.kind in kinds][:args.view]
    deployments = [o for o in objects if o.kind == "Deployment"]
    if args.compare:
        return compare(view_objs, [o for o in objects if o.pod is not None])
    result = {"corpusDocuments": args.docs, "viewObjects": len(view_objs),
              "reviews": args.reviews}
    for cross in (False, True):
        policy = AdmissionPolicy()
        if cross:
            policy.set_namespaces(View(view_objs))
            if not args.no_warm:  # what the server does before /readyz answers 200
                t = time.perf_counter()
                result["warmedNamespaces"] = policy.warm()
                result["warmSeconds"] = round(time.perf_counter() - t, 3)
        times = []
        denied = 0
        for i in range(args.reviews):
            body = review(i, deployments[i % len(deployments)], "UPDATE")
            t = time.perf_counter()
            out = policy.validate(body)
            times.append(time.perf_counter() - t)
            denied += not out.response["allowed"]
        key = "crossChecks" if cross else "perObjectOnly"
        result[key] = {"p50Ms": round(percentile(times, 0.5) * 1000, 2),
                       "p99Ms": round(percentile(times, 0.99) * 1000, 2),
                       "maxMs": round(max(times) * 1000, 2), "denied": denied}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
