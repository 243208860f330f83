//! The MO generator: mobile-originated deliver_sm at `mo.rate` per second,
//! handed to the scheduler, which spreads them over the receiving binds
//! (of `mo.account`, or of every account).

use std::sync::Arc;
use std::time::Duration;

use super::config::MoPlan;
use super::connection::now;
use bytes::Bytes;

use super::deliver::{DeliveryJob, JobKind, mo_part_pdu, mo_pdu};
use super::hub::Hub;

/// Longest wait between two generator wakeups; at high rates several
/// messages leave per wakeup, keeping the average rate exact.
const TICK: Duration = Duration::from_millis(10);

/// Most messages generated in one wakeup (after a stall the generator
/// does not burst more than this).
const MAX_PER_TICK: u64 = 10_000;

/// The text of MO number `n`: the template with `{n}` replaced.
pub fn mo_text(template: &str, n: u64) -> String {
    template.replace("{n}", &n.to_string())
}

/// Messages due by `elapsed` at `rate` per second, minus `sent`.
pub fn due_count(rate: f64, elapsed: Duration, sent: u64) -> u64 {
    let target = (rate * elapsed.as_secs_f64()).floor();
    // A float in 0..2^53 converts exactly; anything above is clamped.
    let target = if target.is_finite() && target > 0.0 { target.min(9.0e15) as u64 } else { 0 };
    target.saturating_sub(sent).min(MAX_PER_TICK)
}

/// Generates MO messages until the sim shuts down.
pub(super) async fn run(hub: Arc<Hub>, plan: MoPlan) {
    let st = &hub.state;
    let account =
        plan.account.as_ref().and_then(|a| st.config.accounts.iter().position(|x| &x.system_id == a));
    let period = Duration::from_secs_f64(1.0 / plan.rate).min(TICK);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = tokio::time::Instant::now();
    let mut sent = 0u64;
    loop {
        tokio::select! {
            () = hub.cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let n = due_count(plan.rate, start.elapsed(), sent);
        let at = now().at;
        for _ in 0..n {
            sent += 1;
            let text = mo_text(&plan.text, sent);
            let pdus = match mo_pdus(&plan, &text, sent) {
                Ok(p) => p,
                Err(err) => {
                    tracing::warn!(%err, "smsc-sim: cannot build an MO message");
                    return;
                }
            };
            for pdu in pdus {
                hub.schedule(
                    at,
                    DeliveryJob {
                        kind: JobKind::Mo,
                        account,
                        origin: None,
                        other_bind: false,
                        attempts: 0,
                        pdu,
                    },
                );
            }
        }
    }
}

/// Why an MO message cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum MoBuildError {
    /// A character outside the GSM 7-bit default alphabet.
    #[error("MO text is not GSM 7-bit: {0}")]
    Text(String),
    /// The PDU does not encode (a part too long).
    #[error("MO PDU: {0}")]
    Pdu(#[from] crate::smpp::pdu::PduError),
}

/// The deliver_sm of MO number `n` with `text`: one, or `plan.parts`
/// parts each behind a concatenation UDH (TS 23.040 9.2.3.24.1: IEI 0x00,
/// length 3, reference, total, sequence from 1), the text cut into nearly
/// equal runs of characters (an escaped character never splits).
pub fn mo_pdus(plan: &MoPlan, text: &str, n: u64) -> Result<Vec<Bytes>, MoBuildError> {
    let encode =
        |t: &str| crate::smpp::text::gsm7::encode_unpacked(t).map_err(|e| MoBuildError::Text(e.to_string()));
    let src = plan.source_addr.as_bytes();
    let dst = plan.destination_addr.as_bytes();
    if plan.parts <= 1 {
        return Ok(vec![mo_pdu(src, dst, &encode(text)?)?]);
    }
    let chars: Vec<char> = text.chars().collect();
    let total = usize::from(plan.parts);
    let run = chars.len().div_ceil(total).max(1);
    let reference = (n % 256) as u8;
    let mut pdus = Vec::with_capacity(total);
    for (i, piece) in chars.chunks(run).enumerate() {
        let seq = u8::try_from(i + 1).unwrap_or(u8::MAX);
        let piece: String = piece.iter().collect();
        let mut user_data = vec![0x05, 0x00, 0x03, reference, plan.parts, seq];
        user_data.extend_from_slice(&encode(&piece)?);
        pdus.push(mo_part_pdu(src, dst, &user_data)?);
    }
    Ok(pdus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_arithmetic() {
        assert_eq!(due_count(100.0, Duration::from_millis(105), 0), 10);
        assert_eq!(due_count(100.0, Duration::from_millis(105), 10), 0);
        assert_eq!(due_count(0.5, Duration::from_secs(5), 1), 1);
        assert_eq!(due_count(1e6, Duration::from_secs(3600), 0), MAX_PER_TICK);
        assert_eq!(mo_text("MO {n}", 7), "MO 7");
    }

    #[test]
    fn a_multi_part_mo_carries_the_whole_text_in_numbered_parts() {
        use crate::smpp::pdu::{Body, decode};
        use crate::smpp::text::parse_udh;
        let plan = MoPlan { parts: 3, ..MoPlan::default() };
        let text = "A long MO {n} that needs three parts; brackets [escape] stay whole".replace("{n}", "258");
        let pdus = mo_pdus(&plan, &text, 258).unwrap();
        assert_eq!(pdus.len(), 3);
        let mut joined = Vec::new();
        for (i, bytes) in pdus.iter().enumerate() {
            let pdu = decode(bytes).unwrap();
            let Body::DeliverSm(b) = &pdu.body else { panic!("{pdu:?}") };
            assert_eq!(b.esm_class, 0x40, "UDHI set");
            let (udh, rest) = parse_udh(b.short_message.as_bytes()).unwrap();
            let c = udh.concat().unwrap();
            assert_eq!((c.total, c.seq), (3, u8::try_from(i + 1).unwrap()));
            assert_eq!(c.reference, crate::smpp::text::ConcatRef::Udh8(2), "258 mod 256");
            joined.extend_from_slice(rest);
        }
        let back = crate::smpp::text::Encoding::Gsm7.decode(&joined).unwrap();
        assert_eq!(back, text);
        let single = mo_pdus(&MoPlan::default(), "MO 1", 1).unwrap();
        let pdu = decode(&single[0]).unwrap();
        let Body::DeliverSm(b) = &pdu.body else { panic!("{pdu:?}") };
        assert_eq!((single.len(), b.esm_class, b.short_message.as_bytes()), (1, 0, &b"MO 1"[..]));
    }
}
