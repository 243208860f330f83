//! What the SMSC sends: MO messages and delivery receipts, each a
//! deliver_sm or data_sm answered only once what it carries is durable
//! (SMPP v3.4 4.6.2: the SMSC delivers again what is not acknowledged).
//!
//! Requests from every bind go through one bounded channel into lanes
//! chosen by the handset's number, so one number's events keep their order
//! while different numbers are handled in parallel. A lane answers
//! ESME_ROK when the event is durable (or the receipt is parked in Redis to
//! wait for its submit_sm_resp), and ESME_RX_T_APPN when it is not, so the
//! SMSC tries again later. An MO that is the proof of receipt of an OTA
//! wake-up goes to [`crate::sms::ota::PorInbound`] instead, under the same
//! rule.

mod metrics;
mod mo;
mod receipt;
mod view;

pub use metrics::InboundMetrics;
pub(crate) use receipt::{ParkedReceipt, apply as apply_receipt, part_state as receipt_part_state};
pub use receipt::{apply_parked, sweep_parked};

use crate::events::{EventOrigin, EventSink};
use crate::smpp::pdu::{Body, CommandStatus, decode};
use crate::smpp::receipt::CarriedReceipt;
use crate::sms::bind::InboundRequest;
use crate::state::{MoReassembly, ReceiptCorrelation};
use crate::store::MessageStore;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

/// Requests waiting per lane.
const LANE_QUEUE: usize = 64;

/// What the lanes need.
#[derive(Debug)]
pub struct Inbound {
    /// Where events go.
    pub events: EventSink,
    /// Region and instance of the events.
    pub origin: EventOrigin,
    /// Receipt to MT message map (Redis).
    pub correlation: ReceiptCorrelation,
    /// MO parts (Redis).
    pub mo_parts: MoReassembly,
    /// MT messages (MongoDB), for receipts the map does not know.
    pub store: MessageStore,
    /// How long a receipt that matches nothing is held and retried.
    pub receipt_hold: Duration,
    /// Accounts whose SMSC switches base between response and receipt
    /// (`receipt_ids_switch_base`).
    pub switch_base: std::collections::BTreeSet<String>,
    /// Counters.
    pub metrics: InboundMetrics,
    /// Proofs of receipt of OTA wake-ups (src/sms/ota), when the SIM side
    /// is on; without it a PoR is an ordinary MO.
    pub ota: Option<crate::sms::ota::PorInbound>,
}

impl Inbound {
    /// The keys an SMSC id of `account` is looked up under: its one
    /// normalised spelling, and its other-base readings when the account's
    /// SMSC switches base.
    pub fn probe_keys(&self, account: &str, id: &crate::smpp::receipt::MessageId) -> Vec<String> {
        if self.switch_base.contains(account) {
            id.lookup_keys().iter().map(|k| k.as_str().to_owned()).collect()
        } else {
            vec![id.correlation_key().as_str().to_owned()]
        }
    }
}

/// Reads `requests` until every bind is gone, spreading them over `lanes`
/// tasks by number. Returns when the channel closes and the lanes are done.
pub async fn run(inbound: Arc<Inbound>, mut requests: mpsc::Receiver<InboundRequest>, lanes: usize) {
    let tasks = TaskTracker::new();
    let senders: Vec<_> = (0..lanes.max(1))
        .map(|_| {
            let (tx, rx) = mpsc::channel::<InboundRequest>(LANE_QUEUE);
            tasks.spawn(lane(inbound.clone(), rx));
            tx
        })
        .collect();
    tasks.close();
    while let Some(request) = requests.recv().await {
        let lane = lane_of(&request, senders.len());
        if senders[lane].send(request).await.is_err() {
            break;
        }
    }
    drop(senders);
    tasks.wait().await;
}

/// The lane of a request: by source_addr, the handset for MO and receipts.
fn lane_of(request: &InboundRequest, lanes: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match decode(&request.frame).map(|p| p.body) {
        Ok(Body::DeliverSm(f)) => f.source_addr.as_bytes().hash(&mut h),
        Ok(Body::DataSm(f)) => f.source_addr.as_bytes().hash(&mut h),
        _ => 0u8.hash(&mut h),
    }
    usize::try_from(h.finish() % lanes as u64).unwrap_or(0)
}

async fn lane(inbound: Arc<Inbound>, mut rx: mpsc::Receiver<InboundRequest>) {
    while let Some(request) = rx.recv().await {
        let status = handle(&inbound, &request).await;
        inbound.metrics.answered(status);
        // A closed bind cannot be answered; the SMSC delivers it again.
        let _ = request.responder.respond(status).await;
    }
}

/// The answer to one deliver_sm or data_sm.
async fn handle(inbound: &Inbound, request: &InboundRequest) -> CommandStatus {
    let pdu = match decode(&request.frame) {
        Ok(pdu) => pdu,
        // The session decoded it already; this cannot fail, but if it did
        // the PDU would be refused for good.
        Err(err) => return err.command_status(),
    };
    if !matches!(pdu.body, Body::DeliverSm(_) | Body::DataSm(_)) {
        return CommandStatus::ESME_RINVCMDID;
    }
    if let Some(carried) = CarriedReceipt::of(&pdu) {
        receipt::handle(inbound, &request.bind, &pdu, &carried).await
    } else {
        mo::handle(inbound, &request.bind, &pdu).await
    }
}
