//! The SMS pipeline when things break mid-traffic: the SMSC drops binds
//! with requests outstanding (with and without resubmission after a drop),
//! and one of two instances gets SIGTERM. Each runs `simgate serve` against
//! the local stack and the in-process simulator; the message states are
//! read straight from MongoDB.
#![allow(clippy::unwrap_used)]

#[path = "support/pipeline.rs"]
mod pipeline;
mod support;

use pipeline::{
    GatewaySpec, Messages, Stored, bound, metrics, mt_body, post_all, run_tag, tally, wait_until,
};
use simgate::smsc_sim::{Latency, SimAccount, SimConfig, SmscSim};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{Gateway, metric_sum, metric_sum_where};

/// The simulator on one account of 4 binds, responses after `latency`.
async fn sim(latency: Latency) -> SmscSim {
    SmscSim::start(SimConfig {
        accounts: vec![SimAccount { system_id: "simgate".into(), password: "pw".into(), max_binds: 4 }],
        latency,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn diagnostics(sim: &SmscSim, gateways: &mut [&mut Gateway]) -> String {
    let mut out = format!("simulator: {}", sim.stats().line());
    for (i, gw) in gateways.iter_mut().enumerate() {
        out.push_str(&format!("\n--- gateway {i} last log lines:\n{}", gw.last_logs(30)));
    }
    out
}

/// Part states over all messages, and message states.
fn part_tally(stored: &BTreeMap<String, Stored>) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let parts = tally(stored.values().flat_map(|m| m.parts.iter().map(String::as_str)));
    let messages = tally(stored.values().map(|m| m.state.as_str()));
    (parts, messages)
}

/// Waits until no stored message of `ids` has a part pending or sending.
async fn wait_settled(messages: &Messages, ids: &[String], within: Duration) -> BTreeMap<String, Stored> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let all = messages.all().await;
        let open = ids.iter().any(|id| {
            all.get(id)
                .is_none_or(|m| m.parts.iter().any(|p| p == "pending" || p == "sending" || p == "submitted"))
        });
        if !open || tokio::time::Instant::now() >= deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Messages of a drop test. Sized for the local stack's MongoDB-wire
/// server (jongodb), which bounds the pipeline: about eight MongoDB
/// operations a message, and on two shared cores it answers a few hundred
/// a second at best (docs/benchmarks.md, "SMS pipeline").
const DROP_MESSAGES: usize = 300;

/// Traffic on one instance with two binds while the simulator, answering
/// after 100-400 ms, drops every bind of the account three times with
/// requests outstanding.
async fn drops_with_requests_outstanding(resubmit: bool) {
    let sim =
        sim(Latency::Uniform { min: Duration::from_millis(100), max: Duration::from_millis(400) }).await;
    let tag = run_tag(if resubmit { "dropre" } else { "dropun" });
    let spec = GatewaySpec::new(&tag, sim.local_addr().port(), &tag);
    let spec =
        spec.clone().with(&spec.account_key("RESUBMIT_AFTER_DROP"), if resubmit { "true" } else { "false" });
    let mut gw = tokio::task::spawn_blocking(move || {
        let mut gw = spec.start("drops-a");
        if let Err(e) = wait_until(Duration::from_secs(20), "2 binds up", || bound(&gw) == 2.0) {
            panic!("{e}\n{}", gw.last_logs(30));
        }
        gw
    })
    .await
    .unwrap();
    let addr = gw.http;
    let traffic = {
        let tag = tag.clone();
        tokio::task::spawn_blocking(move || {
            let route = Arc::new(|_: usize| Some(0));
            let body = Arc::new(move |n: usize| mt_body(&tag, n));
            post_all(
                &[addr],
                DROP_MESSAGES,
                6,
                body,
                route,
                Arc::new(AtomicBool::new(false)),
                Duration::from_secs(120),
            )
        })
    };
    // Three drops, each while the binds have requests outstanding. They are
    // timed by what the SMSC has taken, not by what was posted: the API
    // accepts far faster than the binds submit, so posting may be over
    // before the first drop.
    let mut caught = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for at in [DROP_MESSAGES / 5, DROP_MESSAGES * 2 / 5, DROP_MESSAGES * 3 / 5] {
        while sim.stats().submits_accepted < at as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut outstanding = 0.0;
        while Instant::now() < deadline {
            let m = support::http_get(addr, "/metrics").map(|r| r.body).unwrap_or_default();
            outstanding = metric_sum(&m, "simgate_smpp_bind_window_in_use");
            // Both binds back from the last drop, and requests in flight.
            if outstanding > 0.0 && metric_sum(&m, "simgate_smpp_bind_up") == 2.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let dropped = sim.drop_binds("simgate");
        caught.push((outstanding, dropped));
    }
    let posted = traffic.await.unwrap();
    let ids: Vec<String> = posted.accepted.iter().map(|(_, id, _)| id.clone()).collect();
    let messages = Messages::open(&tag).await;
    let stored = wait_settled(&messages, &ids, Duration::from_secs(90)).await;

    let stats = sim.stats();
    let scrape = metrics(&gw);
    let abandoned = metric_sum_where(&scrape, "simgate_smpp_unanswered_total", "status=\"abandoned\"");
    let resubmitted = metric_sum(&scrape, "simgate_smpp_resubmitted_total");
    let (parts, states) = part_tally(&stored);
    let count = |s: &str| parts.get(s).copied().unwrap_or(0);
    let total_parts: usize = ids.iter().filter_map(|id| stored.get(id)).map(|m| m.parts.len()).sum();
    let summary = format!(
        "resubmit {resubmit}: drops (outstanding, binds dropped) {caught:?}; parts {parts:?}; messages {states:?}; \
         abandoned {abandoned}, resubmitted {resubmitted}; simulator {}",
        stats.line()
    );
    eprintln!("{summary}");
    let mut failures = Vec::new();
    if !posted.refused.is_empty() || ids.len() != DROP_MESSAGES {
        failures.push(format!("{} refused, first {:?}", posted.refused.len(), posted.refused.first()));
    }
    if !caught.iter().any(|(outstanding, dropped)| *outstanding > 0.0 && *dropped > 0) {
        failures.push("no drop found binds with requests outstanding".to_owned());
    }
    // Nothing lost: every part ends delivered, or unknown when the SMSC's
    // answer never came; none is left pending, sending or submitted.
    let open: Vec<_> = ids
        .iter()
        .filter(|id| {
            stored.get(*id).is_none_or(|m| m.parts.iter().any(|p| p != "delivered" && p != "unknown"))
        })
        .take(5)
        .collect();
    if !open.is_empty() || stored.len() < ids.len() {
        failures.push(format!("messages not settled, e.g. {open:?}"));
    }
    if stats.deliveries_dropped != 0 {
        failures.push("the simulator gave up receipts".to_owned());
    }
    // A part the SMSC accepted and answered is delivered (its receipt
    // matches the id the response gave); one whose answer was lost with its
    // bind may have reached the SMSC or not, and its receipt cannot be
    // matched (the gateway never learned its id): the SMSC accepted at
    // least the delivered parts and at most the delivered and unknown ones.
    let distinct_accepted = stats.submits_accepted - stats.duplicate_submits;
    if distinct_accepted < count("delivered") as u64
        || distinct_accepted > (count("delivered") + count("unknown")) as u64
    {
        failures.push(format!(
            "{distinct_accepted} distinct parts accepted by the SMSC, {} delivered, {} unknown",
            count("delivered"),
            count("unknown")
        ));
    }
    if resubmit {
        // Only a part whose bind dropped before its response is sent again,
        // so every duplicate is one of those.
        if resubmitted == 0.0 {
            failures.push("no part was resubmitted: the drops caught nothing".to_owned());
        }
        if stats.duplicate_submits as f64 > resubmitted {
            failures
                .push(format!("{} duplicates but only {resubmitted} resubmissions", stats.duplicate_submits));
        }
        if abandoned < resubmitted {
            failures.push(format!("{resubmitted} resubmissions of only {abandoned} abandoned parts"));
        }
    } else {
        // No part is submitted twice; a part whose answer was lost with its
        // bind stays unknown unless its receipt came (the SMSC had it).
        if stats.duplicate_submits != 0 {
            failures.push(format!("{} parts submitted twice", stats.duplicate_submits));
        }
        if abandoned == 0.0 || (count("unknown") as f64) > abandoned {
            failures.push(format!("{} unknown parts from {abandoned} abandoned", count("unknown")));
        }
        if count("delivered") + count("unknown") != total_parts {
            failures.push(format!(
                "{total_parts} parts, {} delivered, {} unknown",
                count("delivered"),
                count("unknown")
            ));
        }
    }
    if !failures.is_empty() {
        panic!("{}\n{summary}\n{}", failures.join("\n"), diagnostics(&sim, &mut [&mut gw]));
    }
    let exit = tokio::task::spawn_blocking(move || {
        gw.signal("TERM");
        gw.wait_exit(Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(exit.is_some_and(|s| s.success()), "clean exit: {exit:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_dropped_with_requests_outstanding_submit_nothing_twice() {
    drops_with_requests_outstanding(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_dropped_with_resubmission_duplicate_only_resubmitted_parts() {
    drops_with_requests_outstanding(true).await;
}

/// Messages of the SIGTERM test; sized like [`DROP_MESSAGES`].
const TERM_MESSAGES: usize = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_traffic_unbinds_exits_and_the_other_instance_finishes_everything() {
    let sim = sim(Latency::Uniform { min: Duration::from_millis(20), max: Duration::from_millis(100) }).await;
    let tag = run_tag("term");
    let spec = GatewaySpec::new(&tag, sim.local_addr().port(), &tag)
        // A short claim: what the stopped instance held is taken over soon.
        .with("SIMGATE__STORE__CLAIM_LEASE", "2s")
        .with("SIMGATE__SHUTDOWN__DRAIN_DELAY", "1s")
        .with("SIMGATE__SHUTDOWN__GRACE_PERIOD", "15s");
    let grace = Duration::from_secs(15);
    let (mut a, mut b) = tokio::task::spawn_blocking(move || {
        let mut a = spec.start("term-a");
        let mut b = spec.start("term-b");
        if let Err(e) = wait_until(Duration::from_secs(20), "4 binds up", || bound(&a) + bound(&b) == 4.0) {
            panic!("{e}\n{}\n{}", a.last_logs(20), b.last_logs(20));
        }
        (a, b)
    })
    .await
    .unwrap();
    let addrs = [a.http, b.http];
    let progress = Arc::new(AtomicUsize::new(0));
    // Set once `a` reports not-ready: from then on traffic goes to `b`, as
    // a load balancer would send it.
    let a_gone = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (progress, a_gone, tag) = (progress.clone(), a_gone.clone(), tag.clone());
        tokio::task::spawn_blocking(move || {
            let route = Arc::new(move |n: usize| {
                progress.fetch_max(n, Ordering::Relaxed);
                Some(if a_gone.load(Ordering::Relaxed) { 1 } else { n % 2 })
            });
            let body = Arc::new(move |n: usize| mt_body(&tag, n));
            post_all(
                &addrs,
                TERM_MESSAGES,
                6,
                body,
                route,
                Arc::new(AtomicBool::new(false)),
                Duration::from_secs(120),
            )
        })
    };
    while progress.load(Ordering::Relaxed) < TERM_MESSAGES / 3 && !traffic.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = sim.stats();
    let signalled = Instant::now();
    a.signal("TERM");
    let mut not_ready = None;
    while signalled.elapsed() < Duration::from_secs(2) {
        if support::http_get(addrs[0], "/readyz").is_ok_and(|r| r.status == 503) {
            not_ready = Some(signalled.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    a_gone.store(true, Ordering::Relaxed);
    let (a, exit, exited_after) = tokio::task::spawn_blocking(move || {
        let exit = a.wait_exit(grace + Duration::from_secs(5));
        (a, exit, signalled.elapsed())
    })
    .await
    .unwrap();
    let mut a = a;
    let after_exit = sim.stats();
    let posted = traffic.await.unwrap();
    let ids: Vec<String> = posted.accepted.iter().map(|(_, id, _)| id.clone()).collect();
    let by_a = posted.accepted.iter().filter(|(_, _, g)| *g == 0).count();
    let messages = Messages::open(&tag).await;
    // `a` gave up its claims when it stopped, so `b` need not wait for them.
    let left_claimed = messages.claimed_by("term-a").await;
    let stored = pipeline::wait_states(&messages, &ids, &["delivered"], Duration::from_secs(90)).await;
    let (parts, states) = part_tally(&stored);
    let summary = format!(
        "readyz 503 after {not_ready:?}; exit {exit:?} after {exited_after:?}; {} accepted ({by_a} by a), {} refused; \
         parts {parts:?}; messages {states:?}; simulator {}",
        ids.len(),
        posted.refused.len(),
        after_exit.line()
    );
    eprintln!("{summary}");
    let mut failures = Vec::new();
    if not_ready.is_none_or(|t| t > Duration::from_millis(500)) {
        failures.push("/readyz did not go not-ready at once".to_owned());
    }
    if !exit.is_some_and(|s| s.success()) || exited_after > grace {
        failures.push("a did not exit 0 within its grace period".to_owned());
    }
    // `a` held 2 binds; it ended both with unbind, none vanished.
    if after_exit.unbinds_received < before.unbinds_received + 2 || after_exit.binds_lost != 0 {
        failures.push(format!(
            "binds left with {} unbinds, {} lost",
            after_exit.unbinds_received - before.unbinds_received,
            after_exit.binds_lost
        ));
    }
    // A request racing the listener's close may fail; one per thread at most.
    if posted.refused.len() > 6 || ids.len() + posted.refused.len() != TERM_MESSAGES {
        failures.push(format!("{} refused: {:?}", posted.refused.len(), posted.refused.first()));
    }
    let undelivered: Vec<_> =
        ids.iter().filter(|id| stored.get(*id).is_none_or(|m| m.state != "delivered")).take(5).collect();
    if !undelivered.is_empty() {
        failures.push(format!("accepted messages not delivered, e.g. {undelivered:?}"));
    }
    if left_claimed != 0 {
        failures.push(format!("a left {left_claimed} messages claimed"));
    }
    if after_exit.duplicate_submits != 0 || sim.stats().duplicate_submits != 0 {
        failures.push("a part was submitted twice".to_owned());
    }
    if !failures.is_empty() {
        panic!("{}\n{summary}\n{}", failures.join("\n"), diagnostics(&sim, &mut [&mut a, &mut b]));
    }
    let exit_b = tokio::task::spawn_blocking(move || {
        b.signal("TERM");
        b.wait_exit(Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert!(exit_b.is_some_and(|s| s.success()), "b exits cleanly: {exit_b:?}");
    sim.shutdown().await;
}
