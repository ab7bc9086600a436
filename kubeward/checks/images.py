"""Container image references (IMG001..).

Severity rubric (the same in every kubeward check module):
  critical: direct host or cluster takeover; high: container escape or
  credential exposure likely; medium: weakens defence in depth; low:
  hardening / best practice; info: hygiene.

Image references are parsed like the container runtimes do
(``[host[:port]/]path[:tag][@digest]``): the first path component is a
registry host only when it contains ``.`` or ``:`` or is ``localhost``;
otherwise the image comes from Docker Hub (``docker.io``, ``library/`` for
one-component names). ``index.docker.io`` and ``registry-1.docker.io`` are
the same registry as ``docker.io``. References that are not valid image
names (unrendered templates such as ``{{ .Values.image }}``) are skipped by
every check except the registry allow-list, which cannot vouch for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Iterator

from kubeward.checks.base import Check, Edit, FixSafety, Severity
from kubeward.model.objects import ContainerView, K8sObject

_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-/:@+]*\Z")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}\Z")
_DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


@dataclass(frozen=True, slots=True)
class ImageRef:
    registry: str  # normalised host[:port]; "docker.io" for Docker Hub
    repository: str  # path inside the registry ("library/nginx")
    tag: str | None
    digest: str | None
    explicit_registry: bool

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def mutable(self) -> bool:
        """No digest and the tag is `latest` or missing (which means latest)."""
        return self.digest is None and (self.tag is None or self.tag == "latest")


_cache: dict[str, ImageRef | None] = {}


def parse_image(ref: object) -> ImageRef | None:
    """Parse an image reference; None when it is not a valid one."""
    if not isinstance(ref, str):
        return None
    got = _cache.get(ref)
    if got is not None or ref in _cache:
        return got
    result = _parse(ref.strip())
    if len(_cache) < 10000:
        _cache[ref] = result
    return result


def _parse(ref: str) -> ImageRef | None:
    if not ref or not _VALID.match(ref) or ref.count("@") > 1:
        return None
    name, _, digest = ref.partition("@")
    if digest and not _DIGEST.match(digest):
        return None
    tag = None
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not tag:
            return None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path, explicit = first.lower(), rest, True
    else:
        host, path, explicit = "docker.io", name, False
    if host in _DOCKER_HUB:
        host = "docker.io"
        if "/" not in path:
            path = "library/" + path
    if not path or path.startswith("/") or path.endswith("/") or "//" in path:
        return None
    return ImageRef(host, path, tag, digest or None, explicit)


def _normalise_allowed(entry: str) -> str:
    e = str(entry).strip().rstrip("/")
    host, sep, rest = e.partition("/")
    if host.lower() in _DOCKER_HUB:
        host = "docker.io"
    return host.lower() + (sep + rest if sep else "")


def registry_allowed(ref: ImageRef, allowed: tuple[str, ...]) -> bool:
    """``allowed`` entries are registry hosts (globs such as ``*.example.com``
    allowed) or host/path prefixes (``ghcr.io/my-org``)."""
    for entry in allowed:
        if "/" in entry:
            if ref.name == entry or ref.name.startswith(entry + "/"):
                return True
        elif fnmatchcase(ref.registry, entry):
            return True
    return False


class ImageCheck(Check):
    """Template: a test of each container's parsed image reference."""

    workloads_only = True
    skip_invalid: bool = True

    def check(self, obj: K8sObject, ctx) -> Iterator:
        for c in obj.pod.containers:
            image = c.spec.get("image")
            ref = parse_image(image)
            if ref is None and self.skip_invalid:
                continue
            yield from self.check_image(obj, c, image, ref, ctx)

    def check_image(self, obj: K8sObject, c: ContainerView, image, ref: ImageRef | None,
                    ctx) -> Iterator:  # pragma: no cover
        raise NotImplementedError


class LatestTag(ImageCheck):
    """
    ## What it does
    Reports images with the `latest` tag or no tag at all (which means
    `latest`), unless the reference pins a digest.

    ## Why is this bad?
    `latest` changes under you: two nodes can run different code, a rollback
    does not roll back, and a compromised or accidental push reaches
    production on the next pod restart without any change in the manifest.

    ## Example
    ```yaml
    containers:
      - name: web
        image: nginx:latest
    ```

    ## Use instead
    ```yaml
    containers:
      - name: web
        image: nginx:1.27.2
    ```

    ## Fix safety
    No automatic fix: only a person can choose the version.
    """

    id = "IMG001"
    name = "Image uses latest or no tag"
    severity = Severity.LOW
    frameworks = {"nsa": ("pod-security/secure-images",), "mitre": ("MS-TA9002",)}
    remediation = "Pin a version tag (or a digest) in the image reference."

    def check_image(self, obj, c, image, ref, ctx):
        if ref.mutable:
            what = "the latest tag" if ref.tag else "no tag (latest)"
            yield self.finding(obj, c.path + ("image",),
                               f"container {c.name!r}: image {image!r} has {what}", value=image)


class NoDigest(ImageCheck):
    """
    ## What it does
    Reports images not pinned by digest (`@sha256:...`). Off by default: most
    teams pin tags and let an admission controller or a registry policy keep
    tags immutable.

    ## Why is this bad?
    A tag is a movable pointer; whoever can push to the repository can change
    what runs. A digest names the exact content and cannot be repointed.

    ## Example
    ```yaml
    image: registry.example.com/shop/web:1.4.2
    ```

    ## Use instead
    ```yaml
    image: registry.example.com/shop/web:1.4.2@sha256:3c3e1f4f0f7f6d1f4b9a1e5c3d2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b
    ```

    ## Fix safety
    No automatic fix: resolving the digest needs the registry.
    """

    id = "IMG002"
    name = "Image not pinned by digest"
    severity = Severity.LOW
    default_enabled = False
    frameworks = {"nsa": ("pod-security/secure-images",), "mitre": ("MS-TA9002",)}
    remediation = "Reference the image by digest (image:tag@sha256:...)."

    def check_image(self, obj, c, image, ref, ctx):
        if ref.digest is None:
            yield self.finding(obj, c.path + ("image",),
                               f"container {c.name!r}: image {image!r} is not pinned by digest",
                               value=image)


class LatestWithoutPullAlways(ImageCheck):
    """
    ## What it does
    Reports containers whose image has the `latest` tag or no tag (and no
    digest) while `imagePullPolicy` is set to `IfNotPresent` or `Never`.
    (Left unset, Kubernetes defaults the policy to `Always` for such images.)

    ## Why is this bad?
    With a mutable tag and a cached-image policy each node runs whatever
    version it happened to pull first; security fixes pushed under the same
    tag never arrive, and an image planted in the node cache is used as is.

    ## Example
    ```yaml
    image: nginx:latest
    imagePullPolicy: IfNotPresent
    ```

    ## Use instead
    ```yaml
    image: nginx:1.27.2
    imagePullPolicy: IfNotPresent
    ```

    ## Fix safety
    Safe: sets `imagePullPolicy: Always`, which only adds a registry check at
    container start.
    """

    id = "IMG003"
    name = "Mutable image tag without imagePullPolicy Always"
    severity = Severity.LOW
    frameworks = {"nsa": ("pod-security/secure-images",)}
    fix_safety = FixSafety.SAFE
    remediation = "Pin the tag, or set imagePullPolicy: Always."

    def check_image(self, obj, c, image, ref, ctx):
        policy = c.spec.get("imagePullPolicy")
        if ref.mutable and policy is not None and policy != "Always":
            path = c.path + ("imagePullPolicy",)
            yield self.finding(obj, path, f"container {c.name!r}: image {image!r} has a mutable "
                                          f"tag but imagePullPolicy is {policy!r}",
                               value=policy, edits=[Edit("set", path, "Always")])


class PullPolicyNotAlways(ImageCheck):
    """
    ## What it does
    Reports containers whose effective `imagePullPolicy` is not `Always`: set
    to `IfNotPresent`/`Never`, or unset with a pinned tag or digest (which
    defaults to `IfNotPresent`). Off by default: it costs a registry round
    trip per container start; the `AlwaysPullImages` admission plugin is the
    cluster-wide alternative.

    ## Why is this bad?
    With a cached image the kubelet does not check that the pod may pull it:
    in a shared cluster one tenant's pod can run another tenant's private
    image that is already on the node.

    ## Example
    ```yaml
    image: registry.example.com/shop/web:1.4.2
    imagePullPolicy: IfNotPresent
    ```

    ## Use instead
    ```yaml
    image: registry.example.com/shop/web:1.4.2
    imagePullPolicy: Always
    ```

    ## Fix safety
    Safe: sets `imagePullPolicy: Always`; pods then need the registry to start.
    """

    id = "IMG004"
    name = "imagePullPolicy not Always"
    severity = Severity.INFO
    default_enabled = False
    frameworks = {"nsa": ("pod-security/secure-images",), "mitre": ("MS-TA9037",)}
    fix_safety = FixSafety.SAFE
    remediation = "Set imagePullPolicy: Always."

    def check_image(self, obj, c, image, ref, ctx):
        policy = c.spec.get("imagePullPolicy")
        effective = policy if policy is not None else ("Always" if ref.mutable else "IfNotPresent")
        if effective == "Always":
            return
        path = c.path + ("imagePullPolicy",)
        what = repr(policy) if policy is not None else "not set (IfNotPresent)"
        yield self.finding(obj, path, f"container {c.name!r}: imagePullPolicy is {what}",
                           value=policy, edits=[Edit("set", path, "Always")])


class RegistryNotAllowed(ImageCheck):
    """
    ## What it does
    Reports images from registries outside the allow-list in the config
    option `allowedRegistries` (for example
    `checks.options.IMG005.allowedRegistries: ["registry.example.com",
    "*.dkr.ecr.eu-west-1.amazonaws.com", "ghcr.io/my-org"]`). Entries are
    registry hosts (with `*` globs) or host/path prefixes; `docker.io` means
    Docker Hub, also for unqualified names such as `nginx`. Reports nothing
    until the option is configured. Image references that cannot be parsed
    are reported too: they cannot be shown to come from an allowed registry.

    ## Why is this bad?
    Images from arbitrary registries bypass the organisation's scanning,
    signing and provenance controls, and typo-squatted public images are a
    known supply-chain attack.

    ## Example
    ```yaml
    image: docker.io/someone/tool:1.0
    ```

    ## Use instead
    ```yaml
    image: registry.example.com/mirror/tool:1.0
    ```

    ## Fix safety
    No automatic fix: the image must first be mirrored.
    """

    id = "IMG005"
    name = "Image registry not allowed"
    severity = Severity.MEDIUM
    skip_invalid = False
    options = {"allowedRegistries": []}
    frameworks = {"cis": ("5.5.1",), "nsa": ("pod-security/secure-images",),
                  "mitre": ("MS-TA9002",)}
    remediation = "Pull images only from the allowed registries (mirror others there)."

    def unconfigured(self, ctx):
        if not ctx.option(self.id, "allowedRegistries", self.options["allowedRegistries"]):
            return f"{self.id} has no allowedRegistries"
        return None

    def check(self, obj, ctx):
        allowed = ctx.option(self.id, "allowedRegistries", self.options["allowedRegistries"])
        if not allowed:
            return
        if isinstance(allowed, str):
            allowed = [allowed]
        self._allowed = tuple(_normalise_allowed(a) for a in allowed)
        yield from super().check(obj, ctx)

    def check_image(self, obj, c, image, ref, ctx):
        path = c.path + ("image",)
        if ref is None:
            yield self.finding(obj, path,
                               f"container {c.name!r}: image {image!r} is not a valid image "
                               "reference, so its registry cannot be checked", value=image)
        elif not registry_allowed(ref, self._allowed):
            yield self.finding(obj, path, f"container {c.name!r}: image {image!r} comes from "
                                          f"{ref.registry}, which is not in allowedRegistries",
                               value=image)


class ImplicitRegistry(ImageCheck):
    """
    ## What it does
    Reports image references without a registry host (such as `nginx:1.27`
    or `bitnami/redis:7.2`). Off by default.

    ## Why is this bad?
    Unqualified names resolve to Docker Hub on containerd, but node runtimes
    configured with search registries (CRI-O, Podman `unqualified-search-registries`)
    try several registries in turn, so the same manifest can pull a
    different, attacker-registered image. A fully qualified name is
    unambiguous.

    ## Example
    ```yaml
    image: redis:7.2
    ```

    ## Use instead
    ```yaml
    image: docker.io/library/redis:7.2
    ```

    ## Fix safety
    No automatic fix offered, although the rewrite to `docker.io/...` keeps
    the pulled image the same on containerd.
    """

    id = "IMG006"
    name = "Image without registry host"
    severity = Severity.INFO
    default_enabled = False
    frameworks = {"nsa": ("pod-security/secure-images",)}
    remediation = "Write the registry host in the image reference (docker.io/library/...)."

    def check_image(self, obj, c, image, ref, ctx):
        if not ref.explicit_registry:
            yield self.finding(obj, c.path + ("image",),
                               f"container {c.name!r}: image {image!r} names no registry "
                               f"(resolves to {ref.name})", value=image)
