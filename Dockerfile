# syntax=docker/dockerfile:1
# The Sovereign Placement Operator. Node 24 runs the TypeScript sources as they are (type stripping):
# there is no build step, the image holds the production dependencies and src/ only.
#
#   docker build -t sovereign-placement:dev .
#   make image        (the same without a Docker engine: buildah; see scripts/build-image.sh)
#
# Pin the base images by digest in production (--build-arg BUILD_IMAGE=...@sha256:...).
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the locked production dependencies (npm ci never resolves anew); none of them needs an
# install script.
# The SBOM of exactly that tree (CycloneDX), shipped in the image at /app/sbom.cdx.json.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm sbom --package-lock-only --omit=dev --sbom-format cyclonedx --sbom-type application > sbom.cdx.json \
    && npm cache clean --force

# Distroless: no shell, no package manager; node is the entrypoint and runs as PID 1, so SIGTERM
# reaches the operator directly, which drains (finishes in-flight work, releases its Lease) and exits.
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="sovereign-placement-operator" \
      org.opencontainers.image.description="Keeps workloads on nodes whose cloud service holds the sovereignty badge they need." \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
# Owned by root and read-only for the operator's user: it writes nothing, so the root filesystem can be
# mounted read-only (the chart does).
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies /app/sbom.cdx.json ./
COPY package.json LICENSE ./
COPY src ./src
# The distroless `nonroot` user, numeric so that Kubernetes can check runAsNonRoot (the chart's runAsUser).
USER 65532:65532
EXPOSE 8080 9443
STOPSIGNAL SIGTERM
ENTRYPOINT ["/nodejs/bin/node", "src/operator/main.ts"]
