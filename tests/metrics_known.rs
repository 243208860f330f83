//! The metric list the dashboard and the alert rules are checked against
//! (`deploy/metrics-known.txt`) against what a running gateway really
//! exports: a `simgate serve` with every backend and a bound SMPP account,
//! after one MT message has been delivered and MO has come in, so the
//! labelled families have children; and the simulator's own metrics (the
//! compose dashboard shows them). Both are read as OpenMetrics, the format
//! Prometheus asks for. Every listed name must be exported with its type,
//! and its samples carry exactly the listed labels.
#![allow(clippy::unwrap_used)]

mod support;

use simgate::smsc_sim::{MoPlan, SimAccount, SimConfig, SimMetrics, SmscSim};
use simgate::telemetry::{Exposition, METRIC_PREFIX, new_registry, render};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{Gateway, http_get_with, http_send, metric_sum, stack, wait_until};

const API_KEY: &str = "metrics-key-0123456789abcdef";

/// One line of the known list: the name as queries use it, its type, labels.
struct Known {
    name: String,
    kind: String,
    labels: BTreeSet<String>,
}

fn known_list() -> Vec<Known> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/metrics-known.txt");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut words = l.split_whitespace().map(str::to_owned);
            let name = words.next().unwrap();
            let kind = words.next().unwrap_or_else(|| panic!("{name}: no type in metrics-known.txt"));
            Known { name, kind, labels: words.collect() }
        })
        .collect()
}

/// What the scrape says: family name -> type, and sample name -> the label
/// names seen on it.
#[derive(Default)]
struct Scrape {
    types: BTreeMap<String, String>,
    samples: BTreeMap<String, BTreeSet<String>>,
}

fn parse(text: &str) -> Scrape {
    let mut scrape = Scrape::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            scrape.types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = &line[..name_end];
        let labels = scrape.samples.entry(name.to_owned()).or_default();
        if let Some(body) = line[name_end..].strip_prefix('{') {
            let body = &body[..body.find('}').unwrap()];
            // Values are quoted and may hold commas: take each name before `="`.
            for part in body.split("\",") {
                if let Some((key, _)) = part.split_once("=\"") {
                    labels.insert(key.trim_start_matches(',').to_owned());
                }
            }
        }
    }
    scrape
}

/// The family a queried name belongs to, as OpenMetrics names it in `# TYPE`.
fn family_of(known: &Known) -> String {
    match known.kind.as_str() {
        "counter" => known.name.strip_suffix("_total").unwrap_or(&known.name).to_owned(),
        _ => known.name.clone(),
    }
}

/// Sample names a known metric is exported under.
fn sample_names(known: &Known) -> Vec<String> {
    match known.kind.as_str() {
        "histogram" => ["_bucket", "_sum", "_count"].iter().map(|s| format!("{}{s}", known.name)).collect(),
        "info" => vec![format!("{}_info", known.name.trim_end_matches("_info"))],
        _ => vec![known.name.clone()],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_known_metric_is_exported_with_its_labels() {
    let mut sim_registry = new_registry();
    let sim_metrics = SimMetrics::register(sim_registry.sub_registry_with_prefix(METRIC_PREFIX));
    let sim_config = SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 2 }],
        mo: Some(MoPlan { rate: 5.0, ..MoPlan::default() }),
        ..SimConfig::default()
    };
    let sim = SmscSim::start_with_metrics(sim_config, sim_metrics).await.unwrap();
    let account = format!("metrics{}", std::process::id());
    let key = |k: &str| format!("SIMGATE__SMPP__ACCOUNTS__{}__{k}", account.to_uppercase());
    let env: Vec<(String, String)> = vec![
        ("SIMGATE__REDIS__URL".into(), stack("SIMGATE__REDIS__URL")),
        ("SIMGATE__MONGO__URI".into(), stack("SIMGATE__MONGO__URI")),
        ("SIMGATE__KAFKA__BROKERS".into(), stack("SIMGATE__KAFKA__BROKERS")),
        ("SIMGATE__MONGO__DATABASE".into(), format!("metrics_{}", std::process::id())),
        ("SIMGATE__API__KEYS".into(), API_KEY.into()),
        ("SIMGATE__SMS__MT_ACCOUNT".into(), account.clone()),
        ("SIMGATE__SHUTDOWN__DRAIN_DELAY".into(), "100ms".into()),
        // The SIM side, so the applet and command families are exported.
        ("SIMGATE__SIM__ENABLED".into(), "true".into()),
        ("SIMGATE__SIM__LISTEN".into(), "127.0.0.1:0".into()),
        ("SIMGATE__SIM__MASTER_KEY".into(), "6b".repeat(32)),
        (key("HOST"), "127.0.0.1".into()),
        (key("PORT"), sim.local_addr().port().to_string()),
        (key("SYSTEM_ID"), "simgate".into()),
        (key("PASSWORD"), "pw".into()),
        (key("BINDS"), "1".into()),
    ];
    let problems = tokio::task::spawn_blocking(move || {
        let mut gw = Gateway::start(&env);
        let openmetrics = [("Accept", "application/openmetrics-text; version=1.0.0")];
        let scrape = || http_get_with(gw.http, "/metrics", &openmetrics).map(|r| r.body).unwrap_or_default();
        wait_until(Duration::from_secs(20), "a bind up", || {
            metric_sum(&scrape(), "simgate_smpp_bind_up") >= 1.0
        });
        let auth =
            [("Authorization", "Bearer metrics-key-0123456789abcdef"), ("Content-Type", "application/json")];
        let body = r#"{"destination":"+15550001234","source":"SIMGATE","text":"metrics"}"#;
        let accepted = http_send(gw.http, "POST", "/v1/messages", &auth, body).unwrap();
        assert_eq!(accepted.status, 202, "{}", accepted.body);
        wait_until(Duration::from_secs(20), "the receipt and an MO", || {
            let text = scrape();
            metric_sum(&text, "simgate_inbound_receipts_total") >= 1.0
                && metric_sum(&text, "simgate_inbound_mo_total") >= 1.0
        });
        let mut text = scrape();
        text.push_str(&render(&sim_registry, Exposition::OpenMetrics).unwrap());
        let scraped = parse(&text);
        gw.signal("TERM");
        gw.wait_exit(Duration::from_secs(20));

        let mut problems = Vec::new();
        for known in known_list() {
            let family = family_of(&known);
            match scraped.types.get(&family) {
                None => {
                    problems.push(format!("{}: not exported (no `# TYPE {family}`)", known.name));
                    continue;
                }
                Some(kind) if *kind != known.kind => {
                    problems.push(format!("{}: exported as {kind}, listed as {}", known.name, known.kind));
                }
                Some(_) => {}
            }
            for sample in sample_names(&known) {
                let Some(labels) = scraped.samples.get(&sample) else {
                    problems.push(format!("{sample}: the family has no such sample"));
                    continue;
                };
                let labels: BTreeSet<String> =
                    labels.iter().filter(|l| !matches!(l.as_str(), "le" | "quantile")).cloned().collect();
                if labels != known.labels {
                    problems.push(format!("{sample}: labels {labels:?}, listed {:?}", known.labels));
                }
            }
        }
        problems
    })
    .await
    .unwrap();
    assert!(
        problems.is_empty(),
        "deploy/metrics-known.txt does not match /metrics:\n{}",
        problems.join("\n")
    );
}
