"""``kubeward admission serve`` and ``kubeward admission manifests``."""

from __future__ import annotations

import os
import sys

import click


@click.group()
def admission():
    """The admission webhook: enforce the scan's checks at deploy time."""


@admission.command()
@click.option("--tls-cert", required=True, type=click.Path(dir_okay=False),
              help="PEM certificate (chain) served; reloaded when the file changes.")
@click.option("--tls-key", required=True, type=click.Path(dir_okay=False),
              help="PEM private key of the certificate; reloaded when the file changes.")
@click.option("--port", type=click.IntRange(0, 65535), default=8443, show_default=True)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: .kubeward.yaml found upward from the working "
                   "directory); its admission: section sets modes, exemptions and mutation.")
@click.option("--k8s-version", metavar="X.Y", help="Target Kubernetes version (default 1.35).")
@click.option("--namespaces-file", "namespaces_files", multiple=True,
              type=click.Path(exists=True),
              help="Namespace manifests giving the kubeward.io/* mode labels (when the webhook "
                   "does not watch the cluster). Repeatable.")
@click.option("--cluster/--no-cluster", "use_cluster", default=False,
              help="Watch Namespaces through a cluster connection (in-cluster service account "
                   "or --kubeconfig) for the mode labels.")
@click.option("--cross-checks", is_flag=True,
              help="With --cluster: also watch the objects cross-resource checks consult "
                   "(RBAC, ServiceAccounts, Services, NetworkPolicies, Ingresses, LimitRanges, "
                   "ResourceQuotas, PDBs, HPAs) and run those checks.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig for --cluster.")
@click.option("--context", help="Kubeconfig context for --cluster.")
@click.option("--namespace", "own_namespace", default=None,
              help="The webhook's own namespace, always exempt (default: $POD_NAMESPACE, "
                   "else kubeward).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes sharing the port (SO_REUSEPORT).")
@click.option("--max-body-bytes", type=click.IntRange(1024), default=3 * 1024 * 1024,
              show_default=True, help="Larger request bodies get 413.")
@click.option("--cert-reload-interval", type=click.FloatRange(0.1), default=5.0,
              show_default=True, help="Seconds between checks of the certificate files.")
@click.option("--shutdown-delay", type=click.FloatRange(0), default=3.0, show_default=True,
              help="Seconds to keep serving after SIGTERM (readyz failing) before closing.")
@click.option("--rules", "rules", multiple=True, metavar="FILE|DIR", type=click.Path(),
              help="Custom CEL rules to enforce like built-in checks (repeatable; added to "
                   "`rules:` of the config).")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One JSON line per request on standard error.")
def serve(tls_cert, tls_key, port, host, config_path, k8s_version, namespaces_files,
          use_cluster, cross_checks, kubeconfig, context, own_namespace, workers, max_body_bytes,
          cert_reload_interval, shutdown_delay, access_log, rules):
    """Run the HTTPS admission webhook (/validate, /mutate, /healthz, /readyz, /metrics)."""
    from kubeward.admission import AdmissionSetupError, require_server_deps
    from kubeward.cli.common import build_options, fail
    from kubeward.engine import UsageError

    try:
        require_server_deps()
    except AdmissionSetupError as e:
        fail(str(e))
    if namespaces_files and use_cluster:
        fail("give either --namespaces-file or --cluster, not both")
    if cross_checks and not use_cluster:
        fail("--cross-checks needs --cluster (the checks consult the cluster's objects)")
    options = build_options(config_path=config_path, frameworks=(), k8s_version=k8s_version,
                            checks=(), skip_checks=(), rules=rules)
    if options.setup_errors:  # the webhook enforces exactly what it was given, or nothing
        for e in options.setup_errors:
            click.echo(e.one_line(), err=True)
        fail("the custom rules have errors; not starting")
    from kubeward.admission.policy import AdmissionPolicy
    from kubeward.admission.server import Settings, serve as run

    own = own_namespace or os.environ.get("POD_NAMESPACE") or "kubeward"
    make_namespaces = None
    try:
        static = None
        if namespaces_files:
            from kubeward.admission.namespaces import StaticNamespaces
            static = StaticNamespaces.from_files(namespaces_files)
            make_namespaces = lambda: static  # noqa: E731
        elif use_cluster:
            from kubeward.admission.namespaces import CONTEXT_KINDS, WatchedNamespaces
            from kubeward.cluster import require_client

            require_client()
            kinds = CONTEXT_KINDS if cross_checks else ()
            WatchedNamespaces.connect(kubeconfig, context).client.close()  # fail early
            make_namespaces = lambda: WatchedNamespaces.connect(  # noqa: E731
                kubeconfig, context, context_kinds=kinds).start()
        policy = AdmissionPolicy(options, namespaces=static, own_namespace=own)
    except (AdmissionSetupError, UsageError) as e:
        fail(str(e))
    except Exception as e:
        if type(e).__name__ == "ClusterError":
            fail(str(e))
        raise
    settings = Settings(host=host, port=port, workers=workers, max_body=max_body_bytes,
                        reload_interval=cert_reload_interval, shutdown_delay=shutdown_delay,
                        access_log=access_log)
    if make_namespaces is not None and not namespaces_files:
        # each process watches for itself; the policy asks the process-local view
        inner = make_namespaces

        def make_namespaces():
            ns = inner()
            policy.set_namespaces(ns)
            return ns
    try:
        sys.exit(run(policy, tls_cert, tls_key, settings, make_namespaces))
    except AdmissionSetupError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")


@admission.command()
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False),
              help="PEM CA that signed the serving certificate (becomes caBundle); the "
                   "certificate itself goes in the Secret kubeward-admission-tls.")
@click.option("--cert-manager", is_flag=True,
              help="Let cert-manager issue the certificate (Issuer + Certificate) and inject "
                   "the caBundle (cert-manager.io/inject-ca-from).")
@click.option("--namespace", default="kubeward", show_default=True)
@click.option("--image", default=None,
              help="Container image (default ghcr.io/kubeward/kubeward:<version>).")
@click.option("--replicas", type=click.IntRange(2), default=2, show_default=True)
@click.option("--failure-policy", type=click.Choice(["Fail", "Ignore"]), default="Fail",
              show_default=True, help="Of the validating webhook (the mutating one always "
                                      "uses Ignore).")
@click.option("--timeout-seconds", type=click.IntRange(1, 30), default=5, show_default=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="A .kubeward.yaml to ship in the ConfigMap (default: a minimal one).")
@click.option("--cluster/--no-cluster", "use_cluster", default=True, show_default=True,
              help="Let the webhook watch Namespaces for the mode labels (a ClusterRole to "
                   "get/list/watch namespaces; nothing else).")
@click.option("--cross-checks", is_flag=True,
              help="Also let the webhook watch what cross-resource checks consult (read-only "
                   "RBAC on RBAC objects, ServiceAccounts, Services, NetworkPolicies, Ingresses, "
                   "LimitRanges, ResourceQuotas, PDBs, HPAs; never Secrets or ConfigMaps).")
@click.option("--api-server-cidr", "api_server_cidrs", multiple=True, metavar="CIDR",
              help="Address range the API server connects from (repeatable): the webhook's "
                   "NetworkPolicy then admits only these (docs/security.md).")
def manifests(ca_file, cert_manager, namespace, image, replicas, failure_policy,
              timeout_seconds, config_path, use_cluster, cross_checks, api_server_cidrs):
    """Print the manifests that deploy the webhook (YAML on standard output)."""
    from kubeward.admission.manifests import ManifestOptions, render
    from kubeward.cli.common import fail

    if cross_checks and not use_cluster:
        fail("--cross-checks needs the cluster watch (drop --no-cluster)")
    if bool(ca_file) == bool(cert_manager):
        fail("give exactly one of --ca-file FILE or --cert-manager")
    ca_pem = None
    if ca_file:
        with open(ca_file, "rb") as fh:
            ca_pem = fh.read()
        if b"-----BEGIN CERTIFICATE-----" not in ca_pem:
            fail(f"{ca_file}: not a PEM certificate")
    config_text = None
    if config_path:
        with open(config_path, encoding="utf-8") as fh:
            config_text = fh.read()
    opts = ManifestOptions(namespace=namespace, image=image, replicas=replicas,
                           failure_policy=failure_policy, timeout_seconds=timeout_seconds,
                           ca_pem=ca_pem, cert_manager=cert_manager, config_text=config_text,
                           watch_namespaces=use_cluster, cross_checks=cross_checks,
                           api_server_cidrs=tuple(_cidr(c) for c in api_server_cidrs))
    sys.stdout.write(render(opts))


def _cidr(text: str) -> str:
    import ipaddress

    from kubeward.cli.common import fail

    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        fail(f"--api-server-cidr {text}: not an IP address range (CIDR)")
        raise  # pragma: no cover - fail() exits
