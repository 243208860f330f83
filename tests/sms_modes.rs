//! The SMS pipeline in its other shapes, end to end with `simgate serve`,
//! the local stack and the in-process simulator: a transmitter plus a
//! receiver per bind instead of a transceiver (MT out on the transmitter,
//! receipts in on the receiver), and concatenated MO messages whose parts
//! come over different binds and are reassembled into one event.
#![allow(clippy::unwrap_used)]

#[path = "support/pipeline.rs"]
mod pipeline;
mod support;

use pipeline::{
    GatewaySpec, Messages, bound, consume, create_topics, metrics, mt_body, post_all, run_tag, tally,
    wait_states, wait_until,
};
use simgate::events::{EventData, Topic};
use simgate::smsc_sim::mo::mo_text;
use simgate::smsc_sim::{MoPlan, SimAccount, SimConfig, SmscSim};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use support::{metric_sum, stack};

const MESSAGES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transmitter_and_receiver_binds_carry_mt_out_and_receipts_in() {
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 2 }],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let tag = run_tag("txrx");
    let mut spec = GatewaySpec::new(&tag, sim.local_addr().port(), &tag);
    spec.binds = 1;
    spec.max_binds = 2;
    let spec = spec.clone().with(&spec.account_key("BIND_MODE"), "transmitter_receiver");
    let database = tag.clone();
    let (mut gw, posted) = tokio::task::spawn_blocking(move || {
        let mut gw = spec.start("txrx-a");
        if let Err(e) =
            wait_until(Duration::from_secs(20), "transmitter and receiver up", || bound(&gw) == 2.0)
        {
            panic!("{e}\n{}", gw.last_logs(30));
        }
        let body = Arc::new(move |n: usize| mt_body(&tag, n));
        let posted = post_all(
            &[gw.http],
            MESSAGES,
            4,
            body,
            Arc::new(|_| Some(0)),
            Arc::new(AtomicBool::new(false)),
            Duration::from_secs(60),
        );
        (gw, posted)
    })
    .await
    .unwrap();
    assert!(posted.refused.is_empty(), "refused: {:?}", posted.refused.first());
    let ids: Vec<String> = posted.accepted.iter().map(|(_, id, _)| id.clone()).collect();
    let messages = Messages::open(&database).await;
    let stored = wait_states(&messages, &ids, &["delivered"], Duration::from_secs(60)).await;
    let states = tally(ids.iter().map(|id| stored.get(id).map_or("missing", |m| m.state.as_str())));
    let stats = sim.stats();
    let scrape = metrics(&gw);
    // submit_sm went out on one bind only: the transmitter.
    let submits: BTreeMap<String, f64> = scrape
        .lines()
        .filter(|l| l.starts_with("simgate_smpp_submits_total{"))
        .filter_map(|l| {
            let (labels, value) = l.rsplit_once(' ')?;
            Some((labels.to_owned(), value.parse().ok()?))
        })
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let detail = format!("states {states:?}; submits by bind {submits:?}; simulator {}", stats.line());
    if states.get("delivered") != Some(&MESSAGES) || submits.len() != 1 || stats.binds["simgate"].peak != 2 {
        panic!("{detail}\n{}", gw.last_logs(30));
    }
    // Receipts can only have come on the receiver: the simulator sends
    // none to a transmitter (SMPP v3.4 2.2.1).
    assert!(metric_sum(&scrape, "simgate_inbound_receipts_total") >= MESSAGES as f64, "{detail}");
    assert_eq!(stats.duplicate_submits, 0, "{detail}");
    let exit = tokio::task::spawn_blocking(move || {
        gw.signal("TERM");
        gw.wait_exit(Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    sim.shutdown().await;
}

const MO_TEXT: &str = "Concatenated MO number {n}: this text is long enough that the simulator \
    sends it in three parts, each behind its own UDH, so the gateway has to keep the parts in Redis \
    until the last one arrives and publish one event.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concatenated_mo_parts_over_several_binds_become_one_event_with_the_whole_text() {
    let tag = run_tag("mo");
    // A number of this run's own, so events of earlier runs never count.
    let source = format!("4477{:08}", std::process::id() % 100_000_000);
    let sim = SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        mo: Some(MoPlan {
            rate: 4.0,
            parts: 3,
            text: MO_TEXT.to_owned(),
            source_addr: source.clone(),
            ..MoPlan::default()
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let prefix = format!("{tag}.");
    let brokers = stack("SIMGATE__KAFKA__BROKERS");
    create_topics(&brokers, &prefix);
    let spec =
        GatewaySpec::new(&tag, sim.local_addr().port(), &tag).with("SIMGATE__EVENTS__TOPIC_PREFIX", &prefix);
    let mut gw = tokio::task::spawn_blocking(move || {
        let mut gw = spec.start("mo-a");
        if let Err(e) = wait_until(Duration::from_secs(20), "2 binds up", || bound(&gw) == 2.0) {
            panic!("{e}\n{}", gw.last_logs(30));
        }
        gw
    })
    .await
    .unwrap();
    // Three whole messages, each from its three parts.
    const WANT: usize = 3;
    let mut whole = BTreeMap::new();
    let mut wrong = Vec::new();
    let enough = consume(&brokers, &Topic::SmsMo.name(&prefix), Duration::from_secs(60), |e| {
        if let EventData::SmsMoReceived(mo) = &e.data
            && mo.source == source
        {
            let n = (1..=1000u64).find(|n| mo.text.as_deref() == Some(mo_text(MO_TEXT, *n).as_str()));
            match n {
                Some(n) if mo.parts == 3 => {
                    whole.insert(n, mo.bind_id.clone());
                }
                _ => wrong.push((mo.parts, mo.text.clone())),
            }
        }
        whole.len() >= WANT || !wrong.is_empty()
    })
    .await;
    let stats = sim.stats();
    let scrape = metrics(&gw);
    let detail = format!("whole {whole:?}; wrong {wrong:?}; simulator {}", stats.line());
    if !enough || !wrong.is_empty() {
        panic!("{detail}\n{}", gw.last_logs(30));
    }
    // Every part was stored on the way: two waits per message.
    assert!(
        support::metric_sum_where(&scrape, "simgate_inbound_mo_total", "outcome=\"part_stored\"")
            >= 2.0 * WANT as f64,
        "{detail}\n{scrape}"
    );
    let exit = tokio::task::spawn_blocking(move || {
        gw.signal("TERM");
        gw.wait_exit(Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    sim.shutdown().await;
}
