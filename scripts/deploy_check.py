#!/usr/bin/env python3
"""Static checks of simgate's deployment files, run by scripts/validate-deploy.sh.

Subcommands:
  split RENDERED CORE CRD     split a rendered overlay into core kinds (checked
                              with kubernetes-validate) and custom resources
  crds RENDERED               structural checks of the custom resources and of
                              the references between objects
  settings RENDERED BINARY --region R --role ROLE
                              every SIMGATE__ variable and the settings file of
                              the Deployment pass `simgate config check`
  rules RENDERED OUT --known deploy/metrics-known.txt
                              write the PrometheusRule groups as a plain rule
                              file for promtool; every metric a rule uses must
                              be in the known list, with its labels, and
                              counters are read through rate()/increase()
  dashboard FILE --known deploy/metrics-known.txt [--rendered R]... [--promql-out F]
                              a Grafana dashboard: parses, panels have unique
                              ids, a datasource and targets, every query uses
                              known metrics and labels; with --rendered, the
                              overlay's dashboard ConfigMap holds this file;
                              with --promql-out, writes every query as a
                              recording rule for `promtool check rules`
  selftest KNOWN              feeds the query and dashboard checks broken
                              input and fails unless each one is caught
  compose FILE BINARY [--settings-file F]
                              docker-compose.yml: depends_on names, host ports,
                              named volumes, bind-mount sources, SIMGATE__
                              variables through `simgate config check`
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
    ("argoproj.io/v1alpha1", "Application"),
}
PLACEHOLDER = "validate-placeholder"

errors: list[str] = []


def fail(msg: str) -> None:
    errors.append(msg)


def finish(what: str) -> None:
    if errors:
        for e in errors:
            print(f"  FAIL {e}", file=sys.stderr)
        sys.exit(f"{what}: {len(errors)} problem(s)")
    print(f"  ok {what}")


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict], kind: str, name: str | None = None) -> dict | None:
    found = find(docs, kind, name)
    if len(found) != 1:
        fail(f"expected exactly one {kind}{' ' + name if name else ''}, found {len(found)}")
        return None
    return found[0]


def parse_duration(text: str) -> float:
    """humantime-style durations as simgate prints them: "30s", "1m 30s", "500ms"."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)\b", text):
        total += float(number) * units[unit]
    if total == 0 and text.strip() not in ("0s", "0"):
        raise ValueError(f"cannot read duration {text!r}")
    return total


def config_check(binary: str, env: dict[str, str], file: str | None, what: str) -> dict | None:
    """Runs `simgate config check` with exactly these variables; returns the effective settings."""
    args = [binary, "config", "check"]
    if file:
        args += ["--file", file]
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    res = subprocess.run(args, env=clean, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        fail(f"{what}: `simgate config check` exit {res.returncode}: {res.stderr.strip()}")
        return None
    return tomllib.loads(res.stdout)


# ---------------------------------------------------------------- split


def cmd_split(a: argparse.Namespace) -> None:
    docs = load(a.rendered)
    core = [d for d in docs if (d.get("apiVersion"), d.get("kind")) not in CRD_KINDS]
    crds = [d for d in docs if (d.get("apiVersion"), d.get("kind")) in CRD_KINDS]
    for path, part in ((a.core, core), (a.crd, crds)):
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump_all(part, f, sort_keys=False)
    kinds = sorted({d.get("kind", "?") for d in docs})
    print(f"  {len(core)} core objects, {len(crds)} custom resources ({', '.join(kinds)})")


# ---------------------------------------------------------------- crds


def labels_match(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def cmd_crds(a: argparse.Namespace) -> None:
    docs = load(a.rendered)
    for d in docs:
        key = (d.get("apiVersion"), d.get("kind"))
        if key[1] in {k for _, k in CRD_KINDS} and key not in CRD_KINDS:
            fail(f"{key[1]} {d['metadata'].get('name')}: unexpected apiVersion {key[0]}")

    dep = one(docs, "Deployment", "simgate")
    if dep is None:
        finish("references")
        return
    pod = dep["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    spec = pod["spec"]
    container = spec["containers"][0]
    port_names = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    if not labels_match(dep["spec"]["selector"]["matchLabels"], pod_labels):
        fail("Deployment selector does not match its pod labels")

    # Services select the pods and point at named container ports.
    services = {s["metadata"]["name"]: s for s in find(docs, "Service")}
    for name, svc in services.items():
        if not labels_match(svc["spec"].get("selector"), pod_labels):
            fail(f"Service {name} selects no gateway pod")
        for p in svc["spec"]["ports"]:
            tp = p.get("targetPort")
            if isinstance(tp, str) and tp not in port_names:
                fail(f"Service {name}: targetPort {tp} is no container port")
    applet = services.get("simgate-applet")
    if applet:
        ann = applet["metadata"].get("annotations", {})
        eips = ann.get("service.beta.kubernetes.io/aws-load-balancer-eip-allocations", "")
        subnets = ann.get("service.beta.kubernetes.io/aws-load-balancer-subnets", "")
        if applet["spec"].get("type") != "LoadBalancer":
            fail("simgate-applet is not a LoadBalancer")
        if not re.fullmatch(r"eipalloc-[0-9a-f]{8,17}(,eipalloc-[0-9a-f]{8,17})*", eips):
            fail(f"simgate-applet: eip-allocations not set to allocation ids: {eips!r}")
        elif len(eips.split(",")) != len(subnets.split(",")):
            fail("simgate-applet: one Elastic IP per subnet is needed")
        if ann.get("service.beta.kubernetes.io/aws-load-balancer-healthcheck-port") != "9506":
            fail("simgate-applet: NLB health check is not on 9506")
    else:
        fail("no Service simgate-applet")

    ing = one(docs, "Ingress", "simgate")
    if ing:
        ann = ing["metadata"].get("annotations", {})
        if ann.get("alb.ingress.kubernetes.io/healthcheck-path") != "/health":
            fail("Ingress: ALB health check path is not /health")
        if not ann.get("alb.ingress.kubernetes.io/certificate-arn", "").startswith("arn:aws:acm:"):
            fail("Ingress: certificate-arn not set to an ACM certificate")
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                svc = services.get(backend["name"])
                if not svc:
                    fail(f"Ingress backend {backend['name']} does not exist")
                elif backend["port"].get("name") not in {p["name"] for p in svc["spec"]["ports"]}:
                    fail(f"Ingress backend port {backend['port']} not on Service {backend['name']}")

    # Probes use named ports that exist.
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        port = container.get(probe, {}).get("httpGet", {}).get("port")
        if port not in port_names:
            fail(f"{probe} uses port {port!r}, not a container port")
    if container.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/livez":
        fail("livenessProbe is not on /livez")
    if container.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
        fail("readinessProbe is not on /readyz")

    # Volumes refer to objects that exist.
    cms = {c["metadata"]["name"] for c in find(docs, "ConfigMap")}
    spcs = {s["metadata"]["name"]: s for s in find(docs, "SecretProviderClass")}
    for vol in spec.get("volumes", []):
        if "configMap" in vol and vol["configMap"]["name"] not in cms:
            fail(f"volume {vol['name']}: ConfigMap {vol['configMap']['name']} does not exist")
        if "csi" in vol:
            spc = vol["csi"]["volumeAttributes"].get("secretProviderClass")
            if spc not in spcs:
                fail(f"volume {vol['name']}: SecretProviderClass {spc} does not exist")
    sa = spec.get("serviceAccountName")
    if not find(docs, "ServiceAccount", sa):
        fail(f"ServiceAccount {sa} does not exist")

    # SecretProviderClass: AWS provider, parseable objects, and every synced
    # key and every secretKeyRef resolvable.
    synced: dict[str, set[str]] = {}
    for name, spc in spcs.items():
        s = spc["spec"]
        if s.get("provider") != "aws":
            fail(f"SecretProviderClass {name}: provider is not aws")
        params = s.get("parameters", {})
        if params.get("usePodIdentity") != "true":
            fail(f"SecretProviderClass {name}: usePodIdentity is not \"true\"")
        try:
            objects = yaml.safe_load(params.get("objects", "")) or []
        except yaml.YAMLError as e:
            fail(f"SecretProviderClass {name}: objects is not YAML: {e}")
            objects = []
        aliases = set()
        for o in objects:
            if o.get("objectType") not in ("secretsmanager", "ssmparameter"):
                fail(f"SecretProviderClass {name}: {o.get('objectName')}: bad objectType")
            aliases.add(o.get("objectAlias") or o.get("objectName"))
            aliases.update(j["objectAlias"] for j in o.get("jmesPath", []))
        for so in s.get("secretObjects", []):
            keys = synced.setdefault(so["secretName"], set())
            for item in so["data"]:
                if item["objectName"] not in aliases:
                    fail(f"SecretProviderClass {name}: synced object {item['objectName']} is not mounted")
                keys.add(item["key"])
    for env in container.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref and ref["key"] not in synced.get(ref["name"], set()):
            fail(f"env {env['name']}: Secret {ref['name']} key {ref['key']} is synced by no SecretProviderClass")

    # ServiceMonitor selects the HTTP Service on a port it has.
    for sm in find(docs, "ServiceMonitor"):
        sel = sm["spec"]["selector"].get("matchLabels", {})
        chosen = [s for s in services.values() if labels_match(sel, s["metadata"].get("labels", {}))]
        if not chosen:
            fail(f"ServiceMonitor {sm['metadata']['name']} selects no Service")
        for ep in sm["spec"]["endpoints"]:
            if not any(ep["port"] in {p["name"] for p in s["spec"]["ports"]} for s in chosen):
                fail(f"ServiceMonitor endpoint port {ep['port']} is on no selected Service")
            if ep.get("path", "/metrics") != "/metrics":
                fail("ServiceMonitor does not scrape /metrics")

    for pr in find(docs, "PrometheusRule"):
        for g in pr["spec"]["groups"]:
            for r in g["rules"]:
                if not ("alert" in r or "record" in r) or "expr" not in r:
                    fail(f"PrometheusRule group {g['name']}: a rule lacks alert/record or expr")
                if "alert" in r and "severity" not in r.get("labels", {}):
                    fail(f"alert {r['alert']} has no severity label")

    hpa = one(docs, "HorizontalPodAutoscaler", "simgate")
    if hpa:
        ref = hpa["spec"]["scaleTargetRef"]
        if ref["kind"] != "Deployment" or ref["name"] != dep["metadata"]["name"]:
            fail("HPA does not scale the simgate Deployment")
        if not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]:
            fail("HPA bounds are inconsistent")
    if "replicas" in dep["spec"]:
        fail("Deployment sets replicas; the HPA owns them")
    pdb = one(docs, "PodDisruptionBudget", "simgate")
    if pdb and not labels_match(pdb["spec"]["selector"]["matchLabels"], pod_labels):
        fail("PodDisruptionBudget selects no gateway pod")
    finish("custom resources and references")


# ---------------------------------------------------------------- settings


def cmd_settings(a: argparse.Namespace) -> None:
    docs = load(a.rendered)
    dep = one(docs, "Deployment", "simgate")
    if dep is None:
        finish("settings")
        return
    spec = dep["spec"]["template"]["spec"]
    container = spec["containers"][0]
    env: dict[str, str] = {}
    for e in container.get("env", []):
        env[e["name"]] = e.get("value", PLACEHOLDER) if "valueFrom" not in e else PLACEHOLDER
    if container.get("envFrom"):
        fail("envFrom hides variable names from this check: list each SIMGATE__ variable")
    config_path = env.pop("SIMGATE_CONFIG", None)
    settings_file = None
    if config_path:
        mount = next((m for m in container.get("volumeMounts", [])
                      if m["mountPath"].rstrip("/") == os.path.dirname(config_path)), None)
        vol = mount and next((v for v in spec["volumes"] if v["name"] == mount["name"]), None)
        if not vol or "configMap" not in vol:
            fail(f"SIMGATE_CONFIG={config_path} is not in a mounted ConfigMap")
        else:
            cm = one(docs, "ConfigMap", vol["configMap"]["name"])
            key = os.path.basename(config_path)
            if cm is not None and key not in cm.get("data", {}):
                fail(f"ConfigMap {cm['metadata']['name']} has no key {key}")
            elif cm is not None:
                settings_file = Path(a.workdir) / f"settings-{a.region}.toml"
                settings_file.write_text(cm["data"][key], encoding="utf-8")
    else:
        fail("the Deployment does not set SIMGATE_CONFIG")
    simgate_env = {k: v for k, v in env.items() if k.startswith("SIMGATE")}
    other = sorted(k for k in simgate_env if not k.startswith("SIMGATE__"))
    if other:
        fail(f"variables that look like settings but are not SIMGATE__SECTION__KEY: {other}")
    eff = config_check(a.binary, simgate_env, str(settings_file) if settings_file else None,
                       f"{a.region} Deployment")
    if eff:
        if eff["instance"].get("region") != a.region:
            fail(f"instance.region is {eff['instance'].get('region')!r}, expected {a.region!r}")
        if eff["instance"].get("role") != a.role:
            fail(f"instance.role is {eff['instance'].get('role')!r}, expected {a.role!r}")
        grace = parse_duration(eff["shutdown"]["grace_period"])
        drain = parse_duration(eff["shutdown"]["drain_delay"])
        tgps = spec.get("terminationGracePeriodSeconds", 30)
        if not drain < grace < tgps:
            fail(f"need drain_delay ({drain}s) < grace_period ({grace}s) < terminationGracePeriodSeconds ({tgps}s)")
        listen_port = int(eff["http"]["listen"].rsplit(":", 1)[1])
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if ports.get("http") != listen_port:
            fail(f"http.listen port {listen_port} differs from container port http ({ports.get('http')})")
        for backend in ("redis", "mongo", "kafka"):
            if not eff[backend].get("enabled"):
                fail(f"{backend} is disabled in production settings")
        print(f"  {len(simgate_env)} SIMGATE__ variables and {settings_file.name if settings_file else 'no file'}: "
              f"region {a.region}, role {a.role}, grace {grace:g}s < {tgps}s")
    finish(f"settings ({a.region})")


# ---------------------------------------------------------------- rules


# Labels the scrape adds (Prometheus target labels, the ServiceMonitor's
# jobLabel, the compose scrape config), on top of the gateway's own.
TARGET_LABELS = {"job", "namespace", "pod", "instance", "region", "service", "container", "endpoint"}
METRIC_RE = re.compile(r"\b((?:simgate|process)_[a-zA-Z0-9_]+)")
RANGE_FUNCS = re.compile(r"\b(rate|increase|irate)\(\s*$")


def load_known(path: str) -> dict[str, tuple[str, set[str]]]:
    """deploy/metrics-known.txt: NAME TYPE LABEL... per line."""
    known: dict[str, tuple[str, set[str]]] = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, kind, *labels = line.split()
        if kind not in ("counter", "gauge", "histogram"):
            fail(f"{path}:{n}: {name}: unknown type {kind}")
        if kind == "counter" and not name.endswith("_total"):
            fail(f"{path}:{n}: counter {name} must be listed with its _total suffix")
        if name in known:
            fail(f"{path}:{n}: {name} listed twice")
        known[name] = (kind, set(labels))
    return known


def check_query(expr: str, known: dict[str, tuple[str, set[str]]], what: str) -> set[str]:
    """Every metric in `expr` is known, its matchers use its labels, and
    counters (and histogram series) are read through rate/increase/irate."""
    used = set()
    for m in METRIC_RE.finditer(expr):
        name = m.group(1)
        base, suffix = name, ""
        hist = re.fullmatch(r"(.+)_(bucket|sum|count)", name)
        if name not in known and hist and known.get(hist.group(1), ("",))[0] == "histogram":
            base, suffix = hist.group(1), hist.group(2)
        if base not in known:
            fail(f"{what}: metric {name} is not in the known list")
            continue
        kind, labels = known[base]
        if kind == "histogram" and not suffix:
            fail(f"{what}: histogram {name} is used without _bucket, _sum or _count")
        used.add(base)
        allowed = labels | TARGET_LABELS | ({"le"} if suffix == "bucket" else set())
        rest = expr[m.end():]
        matchers = re.match(r"\s*\{([^}]*)\}", rest)
        if matchers:
            for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers.group(1)):
                if label not in allowed:
                    fail(f"{what}: {name} has no label {label}")
            rest = rest[matchers.end():]
        if kind == "counter" or suffix:
            if not re.match(r"\s*\[", rest) or not RANGE_FUNCS.search(expr[:m.start()]):
                fail(f"{what}: counter {name} is not read through rate(), increase() or irate()")
    return used


def cmd_rules(a: argparse.Namespace) -> None:
    docs = load(a.rendered)
    known = load_known(a.known)
    groups = [g for pr in find(docs, "PrometheusRule") for g in pr["spec"]["groups"]]
    if not groups:
        fail("no PrometheusRule groups")
    for g in groups:
        for r in g["rules"]:
            name = r.get("alert", r.get("record"))
            check_query(r["expr"], known, f"rule {name}")
            if "alert" in r:
                ann = r.get("annotations", {})
                for key in ("summary", "description", "runbook_url"):
                    if not ann.get(key):
                        fail(f"alert {name} has no {key} annotation")
                anchor = ann.get("runbook_url", "").partition("#")[2]
                if anchor != name.lower():
                    fail(f"alert {name}: runbook_url does not point at #{name.lower()}")
                elif a.runbook and f"## {name}\n" not in Path(a.runbook).read_text(encoding="utf-8"):
                    fail(f"alert {name} has no section in {a.runbook}")
    with open(a.out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False)
    n = sum(len(g["rules"]) for g in groups)
    finish(f"{n} rules extracted, every metric they use is known")


# ---------------------------------------------------------------- dashboard


def panels_of(dashboard: dict) -> list[dict]:
    """Every panel, rows' collapsed panels included."""
    out = []
    for p in dashboard.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def cmd_dashboard(a: argparse.Namespace) -> None:
    text = Path(a.file).read_text(encoding="utf-8")
    try:
        dash = json.loads(text)
    except json.JSONDecodeError as e:
        sys.exit(f"{a.file}: not JSON: {e}")
    known = load_known(a.known)
    for key in ("uid", "title", "schemaVersion", "panels"):
        if key not in dash:
            fail(f"dashboard has no {key}")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds_var = variables.get("datasource")
    if not ds_var or ds_var.get("type") != "datasource" or ds_var.get("query") != "prometheus":
        fail("dashboard needs a datasource variable of type prometheus (so it works in every Grafana)")
    ids: set[int] = set()
    used: set[str] = set()
    n_panels = 0
    for p in panels_of(dash):
        pid = p.get("id")
        title = p.get("title", "?")
        if pid in ids:
            fail(f"panel id {pid} ({title}) is used twice")
        ids.add(pid)
        if p.get("type") == "row":
            continue
        n_panels += 1
        if not title.strip() or title == "?":
            fail(f"panel {pid} has no title")
        if not p.get("description"):
            fail(f"panel {title}: no description")
        ds = p.get("datasource") or {}
        if ds.get("uid") != "${datasource}":
            fail(f"panel {title}: datasource is not ${{datasource}}: {ds!r}")
        targets = p.get("targets") or []
        if not targets:
            fail(f"panel {title}: no targets")
        refs = set()
        for t in targets:
            if (t.get("datasource") or {}).get("uid") != "${datasource}":
                fail(f"panel {title}: target {t.get('refId')} has no ${{datasource}} datasource")
            if not t.get("expr", "").strip():
                fail(f"panel {title}: target {t.get('refId')} has no expr")
            if t.get("refId") in refs:
                fail(f"panel {title}: refId {t.get('refId')} twice")
            refs.add(t.get("refId"))
            used |= check_query(t.get("expr", ""), known, f"panel {title}")
        gp = p.get("gridPos") or {}
        if not all(isinstance(gp.get(k), int) for k in ("x", "y", "w", "h")) or gp.get("x", 0) + gp.get("w", 0) > 24:
            fail(f"panel {title}: bad gridPos {gp}")
    if a.promql_out:
        # Grafana's interval variables become fixed ranges so promtool can
        # parse the queries.
        rules = [{"record": f"simgate_dashboard:panel{p.get('id')}:{t.get('refId')}",
                  "expr": re.sub(r"\$__(rate_)?interval|\$__range", "5m", t.get("expr", ""))}
                 for p in panels_of(dash) if p.get("type") != "row" for t in p.get("targets") or []]
        with open(a.promql_out, "w", encoding="utf-8") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, f, sort_keys=False)
    for rendered in a.rendered or []:
        cms = [c for c in find(load(rendered), "ConfigMap")
               if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
        if not any(v == text for c in cms for v in (c.get("data") or {}).values()):
            fail(f"{rendered}: no ConfigMap labelled grafana_dashboard=1 holds {a.file}")
    print(f"  {n_panels} panels, {len(used)} metrics")
    finish(f"dashboard {a.file}")


# ---------------------------------------------------------------- selftest


def cmd_selftest(a: argparse.Namespace) -> None:
    """Each broken query must be reported; each good one must pass."""
    known = load_known(a.known)
    good = [
        'sum by (account) (rate(simgate_smpp_throttled_total{job="simgate"}[5m])) > 1',
        'histogram_quantile(0.99, sum by (le) (rate(simgate_smpp_response_seconds_bucket{job="simgate"}[5m])))',
        'max by (namespace) (simgate_events_outbox_depth{job="simgate"}) > 0',
        'changes(process_start_time_seconds{job="simgate"}[30m]) > 2',
    ]
    bad = {
        "unknown metric": 'rate(simgate_smpp_submit_total{job="simgate"}[5m])',
        "counter without _total": 'rate(simgate_smpp_submits{job="simgate"}[5m])',
        "unknown label": 'rate(simgate_inbound_receipts_total{result="unmatched"}[5m])',
        "counter read raw": 'sum(simgate_smpp_throttled_total{job="simgate"})',
        "counter through delta": 'delta(simgate_smpp_throttled_total[5m])',
        "bare histogram": 'rate(simgate_smpp_response_seconds[5m])',
        "le on a gauge": 'simgate_smpp_bind_up{le="1"}',
    }
    problems = []
    for expr in good:
        errors.clear()
        check_query(expr, known, "selftest")
        if errors:
            problems.append(f"good query reported: {expr}: {errors[:]}")
    for what, expr in bad.items():
        errors.clear()
        check_query(expr, known, "selftest")
        if not errors:
            problems.append(f"{what} not caught: {expr}")
    errors.clear()
    errors.extend(problems)
    finish(f"selftest: {len(good)} good and {len(bad)} broken queries judged right")


# ---------------------------------------------------------------- compose


def interpolate(value: str) -> str:
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def cmd_compose(a: argparse.Namespace) -> None:
    path = Path(a.file)
    base = path.parent
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    services: dict = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    used_volumes: set[str] = set()
    ports: dict[tuple[str, int, str], str] = {}
    checked_env = 0
    if not services:
        fail("no services")
    for name, svc in services.items():
        deps = svc.get("depends_on") or []
        for dep in deps if isinstance(deps, list) else deps.keys():
            if dep not in services:
                fail(f"{name}: depends_on {dep}, which is no service")
            elif dep == name:
                fail(f"{name} depends on itself")
        if isinstance(deps, dict):
            for dep, cond in deps.items():
                if cond.get("condition") == "service_healthy" and "healthcheck" not in services.get(dep, {}):
                    fail(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
        for p in svc.get("ports") or []:
            if isinstance(p, dict):
                host_ip, published, proto = p.get("host_ip", "0.0.0.0"), p.get("published"), p.get("protocol", "tcp")
            else:
                spec, _, proto = str(p).partition("/")
                proto = proto or "tcp"
                parts = spec.split(":")
                if len(parts) == 1:
                    continue  # container port only: Docker picks a free host port
                host_ip = parts[0] if len(parts) == 3 else "0.0.0.0"
                published = parts[-2]
            first, _, last = str(published).partition("-")
            for port in range(int(first), int(last or first) + 1):
                for (ip, pt, pr), other in ports.items():
                    if pt == port and pr == proto and (ip == host_ip or "0.0.0.0" in (ip, host_ip)):
                        fail(f"host port {port}/{proto} published by both {other} and {name}")
                ports[(host_ip, port, proto)] = name
        for v in svc.get("volumes") or []:
            if isinstance(v, dict):
                vtype, source = v.get("type", "volume"), v.get("source", "")
            else:
                source = str(v).split(":")[0]
                vtype = "bind" if source.startswith((".", "/", "~")) else "volume"
                if ":" not in str(v):
                    continue  # anonymous volume
            if vtype == "volume":
                used_volumes.add(source)
                if source not in volumes:
                    fail(f"{name}: named volume {source} is not declared under volumes")
            elif vtype == "bind" and not source.startswith(("/", "~")) and not (base / source).exists():
                fail(f"{name}: bind-mount source {source} does not exist")
        build = svc.get("build")
        if build is not None:
            ctx = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            if not (base / ctx / dockerfile).exists():
                fail(f"{name}: {ctx}/{dockerfile} does not exist")
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
        simgate_env = {k: interpolate(str(v)) for k, v in env.items() if k.startswith("SIMGATE")}
        settings_env = {k: v for k, v in simgate_env.items() if k.startswith("SIMGATE__")}
        if settings_env:
            checked_env += len(settings_env)
            # The image reads config/simgate.example.toml (SIMGATE_CONFIG), then these.
            config_check(a.binary, settings_env, a.settings_file, f"compose service {name}")
    for unused in sorted(volumes - used_volumes):
        fail(f"volume {unused} is declared but no service uses it")
    print(f"  {len(services)} services, {len(ports)} host ports, {len(volumes)} named volumes, "
          f"{checked_env} SIMGATE__ variables")
    finish(f"compose file {a.file}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split")
    s.add_argument("rendered")
    s.add_argument("core")
    s.add_argument("crd")
    s = sub.add_parser("crds")
    s.add_argument("rendered")
    s = sub.add_parser("settings")
    s.add_argument("rendered")
    s.add_argument("binary")
    s.add_argument("--region", required=True)
    s.add_argument("--role", required=True, choices=["active", "passive"])
    s.add_argument("--workdir", required=True)
    s = sub.add_parser("rules")
    s.add_argument("rendered")
    s.add_argument("out")
    s.add_argument("--known", required=True, help="deploy/metrics-known.txt")
    s.add_argument("--runbook", help="docs/runbook.md: every alert must have a section")
    s = sub.add_parser("dashboard")
    s.add_argument("file")
    s.add_argument("--known", required=True, help="deploy/metrics-known.txt")
    s.add_argument("--rendered", action="append", help="a rendered overlay that must carry the dashboard")
    s.add_argument("--promql-out", help="write the queries as recording rules for promtool")
    s = sub.add_parser("selftest")
    s.add_argument("known")
    s = sub.add_parser("compose")
    s.add_argument("file")
    s.add_argument("binary")
    s.add_argument("--settings-file", help="the settings file the image reads before the variables")
    a = p.parse_args()
    {"split": cmd_split, "crds": cmd_crds, "settings": cmd_settings, "rules": cmd_rules,
     "dashboard": cmd_dashboard, "selftest": cmd_selftest, "compose": cmd_compose}[a.cmd](a)


if __name__ == "__main__":
    main()
