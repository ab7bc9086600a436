# kubeward image: the admission webhook (default command) and the CLI.
#   docker build -t ghcr.io/kubeward/kubeward:0.1.0 .
#   kubeward admission manifests --cert-manager --image ghcr.io/kubeward/kubeward:0.1.0
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kubeward ./kubeward
RUN pip install --no-cache-dir --prefix=/install ".[admission,cluster,cel]"

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /install /usr/local
# the UID/GID the manifests run as (runAsUser/runAsGroup 65532); no shell login
RUN groupadd --system --gid 65532 kubeward \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin kubeward
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["kubeward"]
CMD ["admission", "serve", "--tls-cert=/tls/tls.crt", "--tls-key=/tls/tls.key"]
