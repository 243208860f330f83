#!/usr/bin/env bash
# Static validation of everything simgate is deployed with: the Kustomize
# overlays, the Argo CD applications, the alert rules, the Dockerfile and
# docker-compose.yml. Needs no cluster and no Docker engine; contacts nothing
# but the package registries it installs from.
#
#   scripts/validate-deploy.sh
#
# Installs what is missing: yamllint, kubernetes-validate, checkov and PyYAML
# (pinned, into the tools venv "$SIMGATE_TOOLS/venv"), promtool (Debian's
# prometheus package), kubectl (Debian's kubectl package, where the machine's
# apt sources have one). Uses the simgate binary built by scripts/test.sh:
# "${CARGO_TARGET_DIR:-$SIMGATE_TOOLS/target}/debug/simgate".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

# The Kubernetes version of the EKS clusters (docs/deploy.md).
K8S_VERSION=1.31.0
OVERLAYS=(us-east-1:active us-west-2:passive)
PY_PINS=(yamllint==1.38.0 kubernetes-validate==1.37.0 checkov==3.3.30 PyYAML==6.0.3)

started=$SECONDS
check() { log "-- $* ($((SECONDS - started))s)"; }

# ---------------------------------------------------------------- tools
need_python_venv
VENV="$SIMGATE_TOOLS/venv"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
mapfile -t missing < <("$VENV/bin/python" - "${PY_PINS[@]}" <<'PY'
import sys
from importlib import metadata
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    try:
        ok = metadata.version(name) == version
    except metadata.PackageNotFoundError:
        ok = False
    if not ok:
        print(pin)
PY
)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "pip install ${missing[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}"
fi
PY="$VENV/bin/python"

need_cmd promtool prometheus
if ! command -v kubectl >/dev/null 2>&1; then
  apt_install kubectl 2>/dev/null || true
  command -v kubectl >/dev/null 2>&1 || die "kubectl is missing and cannot be installed: Debian bookworm has no kubectl package (apt-cache policy kubectl shows no candidate). Install kubectl 1.31 or newer (it renders the overlays with its built-in kustomize), then run this again"
fi

BIN="${CARGO_TARGET_DIR:-$SIMGATE_TOOLS/target}/debug/simgate"
[[ -x "$BIN" ]] || die "no simgate binary at $BIN: build it first (scripts/test.sh does, or: cargo build --locked --bin simgate)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CHECK=("$PY" "$ROOT/scripts/deploy_check.py")

# ---------------------------------------------------------------- yamllint
check "yamllint"
"$VENV/bin/yamllint" --strict -c .yamllint deploy docker-compose.yml .yamllint

# ---------------------------------------------------------------- overlays
for entry in "${OVERLAYS[@]}"; do
  region="${entry%%:*}" role="${entry##*:}"
  out="$WORK/$region.yaml"
  check "kubectl kustomize deploy/overlays/$region"
  kubectl kustomize "deploy/overlays/$region" >"$out"
  "${CHECK[@]}" split "$out" "$WORK/$region-core.yaml" "$WORK/$region-crd.yaml"

  # Core kinds against the Kubernetes $K8S_VERSION schemas, strictly (unknown
  # fields fail). kubernetes-validate has no CRD schemas and no option to load
  # any: it only warns about such kinds. So custom resources are kept out of
  # this run (and any "couldn't find schema" warning fails it), and checked
  # by deploy_check.py crds below.
  check "kubernetes-validate $K8S_VERSION ($region)"
  if ! "$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$WORK/$region-core.yaml" >"$WORK/kv.log" 2>&1; then
    cat "$WORK/kv.log" >&2
    die "kubernetes-validate failed for $region"
  fi
  cat "$WORK/kv.log"
  if grep -qi "couldn't find schema" "$WORK/kv.log"; then die "a core object of $region has no schema in Kubernetes $K8S_VERSION"; fi

  check "custom resources and references ($region)"
  "${CHECK[@]}" crds "$out"
  check "settings through simgate config check ($region)"
  "${CHECK[@]}" settings "$out" "$BIN" --region "$region" --role "$role" --workdir "$WORK"
done

# ---------------------------------------------------------------- argo cd
check "Argo CD applications"
"$PY" - "$WORK" <<'EOF'
import pathlib, sys, yaml
apps = sorted(pathlib.Path("deploy/argocd").glob("*.yaml"))
seen = set()
for f in apps:
    app = yaml.safe_load(f.read_text())
    assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application", f
    src = app["spec"]["source"]
    region = src["path"].rsplit("/", 1)[-1]
    assert pathlib.Path(src["path"], "kustomization.yaml").is_file(), f"{f}: {src['path']} is no overlay"
    assert app["metadata"]["name"] == f"simgate-{region}", f"{f}: name does not match overlay {region}"
    assert app["spec"]["destination"]["namespace"] == "simgate", f
    seen.add(region)
overlays = {p.name for p in pathlib.Path("deploy/overlays").iterdir() if p.is_dir()}
assert seen == overlays, f"applications {sorted(seen)} != overlays {sorted(overlays)}"
print(f"  ok {len(apps)} applications, one per overlay")
EOF

# ---------------------------------------------------------------- alerts
check "promtool check rules / test rules"
KNOWN=deploy/metrics-known.txt
"${CHECK[@]}" rules "$WORK/us-east-1.yaml" "$WORK/simgate-rules.yaml" --known "$KNOWN" --runbook docs/runbook.md
for entry in "${OVERLAYS[@]:1}"; do
  region="${entry%%:*}"
  "${CHECK[@]}" rules "$WORK/$region.yaml" "$WORK/$region-rules.yaml" --known "$KNOWN" >/dev/null
  cmp -s "$WORK/simgate-rules.yaml" "$WORK/$region-rules.yaml" || die "alert rules differ between regions"
done
promtool check rules "$WORK/simgate-rules.yaml"
cp deploy/tests/alerts.test.yaml "$WORK/"
promtool test rules "$WORK/alerts.test.yaml"

# ---------------------------------------------------------------- dashboard
# The same JSON is provisioned in compose and carried by both overlays as
# the ConfigMap Grafana's dashboard sidecar loads.
check "Grafana dashboard"
"${CHECK[@]}" selftest "$KNOWN"
for dashboard in deploy/compose/grafana/dashboards/*.json; do
  queries="$WORK/$(basename "$dashboard" .json)-queries.yaml"
  "${CHECK[@]}" dashboard "$dashboard" --known "$KNOWN" --promql-out "$queries" \
    --rendered "$WORK/us-east-1.yaml" --rendered "$WORK/us-west-2.yaml"
  promtool check rules "$queries"
done

# ---------------------------------------------------------------- checkov
# Skips are annotations on the objects they concern (checkov.io/skipN), so
# the raw files and the rendered overlays are checked with the same ones.
check "checkov"
export BC_SKIP_MAPPING=TRUE
CHECKOV=("$VENV/bin/checkov" --skip-download --quiet --compact)
"${CHECKOV[@]}" --framework kubernetes -d deploy
"${CHECKOV[@]}" --framework kubernetes -f "$WORK/us-east-1.yaml" "$WORK/us-west-2.yaml"
"${CHECKOV[@]}" --framework dockerfile -f Dockerfile

# ---------------------------------------------------------------- compose
check "docker-compose.yml"
"${CHECK[@]}" compose docker-compose.yml "$BIN" --settings-file config/simgate.example.toml

check "deploy manifests valid"
