//! [`PorInbound`]: the proof of receipt of a wake-up, as MO. A deliver_sm
//! whose user data header carries IEI 0x71 (response packet identifier,
//! TS 31.115 4), or a concatenated PoR whose first part does once the MO
//! reassembly has all its parts, from a number the registry knows is read with
//! `ota::parse_por_sms`, verified with the SIM's keys, recorded in
//! `sim_ota` and published as `sim.ota.por`, and never also as
//! `sms.mo.received`: it is the SIM talking to the gateway, not a message
//! for the MO consumers.
//!
//! The MO rule holds: the deliver_sm is answered ESME_ROK only once what
//! it carries is durable (recorded and published), ESME_RX_T_APPN
//! otherwise so the SMSC delivers it again. A PoR from an unknown number,
//! or one that verifies under none of the SIM's key sets, is counted and
//! logged (never with keys); the unverified one is published with
//! `verified: false`. Both are then answered ESME_ROK: delivered again
//! they would fail the same way, and an SMSC that keeps redelivering a
//! refused MO holds the bind's inbound traffic up behind it.

use super::metrics::OtaMetrics;
use super::records::WakeRecords;
use crate::events::payload_sim::OtaPor;
use crate::events::{EventData, EventKey, EventOrigin, EventSink};
use crate::sim::ota::{IEI_RESPONSE_PACKET, WAKE_UP_SPI, parse_por_sms};
use crate::sim::registry::{Msisdn, SimEntry, SimRegistry};
use crate::sim::secured::{Kic, PorSecurity, ResponsePacket};
use crate::smpp::pdu::CommandStatus;
use crate::smpp::text::{InformationElement, parse_udh};
use crate::sms::bind::BindId;

/// Whether an MO is a PoR: UDHI set (SMPP v3.4 5.2.12) and a header with
/// the response packet identifier, IEI 0x71 with no data (TS 31.115 4).
pub fn is_por(esm_class: u8, user_data: &[u8]) -> bool {
    if esm_class & 0x40 == 0 {
        return false;
    }
    parse_udh(user_data).is_ok_and(|(udh, _)| {
        udh.elements.iter().any(|ie| {
            matches!(ie, InformationElement::Other { iei, data } if *iei == IEI_RESPONSE_PACKET && data.is_empty())
        })
    })
}

/// What PoR handling needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PorInbound {
    /// The SIM behind the number, and its keys.
    registry: SimRegistry,
    /// The `sim_ota` log of wake-ups.
    records: WakeRecords,
    /// Counters.
    metrics: OtaMetrics,
}

impl PorInbound {
    /// PoR handling on the given parts.
    pub fn new(registry: SimRegistry, records: WakeRecords, metrics: OtaMetrics) -> Self {
        Self { registry, records, metrics }
    }

    /// The answer to the deliver_sm from `source` carrying `user_data`
    /// (for which [`is_por`] holds): one SMS's, or the parts of a
    /// concatenated PoR once reassembled (src/sms/inbound/mo.rs) in the
    /// single-SMS form `ota::joined_por_sms` gives, which verifies the same
    /// way. Either is answered by the same rule.
    pub async fn handle(
        &self,
        events: &EventSink,
        origin: &EventOrigin,
        bind: &BindId,
        source: &str,
        user_data: &[u8],
    ) -> CommandStatus {
        let sim = match Msisdn::new(source) {
            Ok(msisdn) => match self.registry.by_msisdn(&msisdn).await {
                Ok(sim) => sim,
                Err(err) => {
                    tracing::warn!(bind = %bind, %err, "PoR: registry unavailable; the SMSC will resend");
                    return CommandStatus::ESME_RX_T_APPN;
                }
            },
            Err(_) => None,
        };
        let Some(sim) = sim else {
            self.metrics.por("unknown_number");
            tracing::warn!(bind = %bind, source, "PoR from a number no SIM has: ignored");
            return CommandStatus::ESME_ROK;
        };
        let opened = match self.open(&sim, user_data).await {
            Ok(opened) => opened,
            Err(()) => return CommandStatus::ESME_RX_T_APPN,
        };
        let (status, counter, verified) = match &opened {
            Some(por) => (por.status.label(), por.counter.get(), true),
            None => ("unverified", 0, false),
        };
        if verified && let Err(err) = self.records.record_por(&sim.iccid, counter, status).await {
            tracing::warn!(bind = %bind, iccid = %sim.iccid, %err, "PoR not recorded; the SMSC will resend");
            return CommandStatus::ESME_RX_T_APPN;
        }
        let Ok(key) = EventKey::new(sim.msisdn.as_str()) else { return CommandStatus::ESME_RINVSRCADR };
        let data = EventData::SimOtaPor(OtaPor {
            iccid: sim.iccid.as_str().to_owned(),
            status: status.to_owned(),
            counter,
            verified,
        });
        if let Err(err) = events.publish(&origin.event(key, data)).await {
            tracing::warn!(bind = %bind, %err, "sim.ota.por not durable; the SMSC will resend");
            return CommandStatus::ESME_RX_T_APPN;
        }
        self.metrics.por(status);
        if !verified {
            tracing::warn!(bind = %bind, iccid = %sim.iccid, "PoR verifies under none of the SIM's key sets");
        }
        CommandStatus::ESME_ROK
    }

    /// The PoR opened under the first of the SIM's key sets it verifies
    /// with, highest KVN first (the wake-up uses the highest): `None` when
    /// none does; `Err` when the registry cannot give the keys now.
    async fn open(&self, sim: &SimEntry, user_data: &[u8]) -> Result<Option<ResponsePacket>, ()> {
        let mut kvns: Vec<_> = sim.key_sets.iter().map(|k| k.kvn).collect();
        kvns.sort_by_key(|k| std::cmp::Reverse(k.get()));
        for kvn in kvns {
            let credentials = match self.registry.credentials(&sim.iccid, kvn).await {
                Ok(Some(c)) => c,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(iccid = %sim.iccid, kvn = kvn.get(), %err, "PoR: keys unavailable");
                    return Err(());
                }
            };
            // What the wake-up's SPI asked of its PoR (sim::ota::WAKE_UP_SPI),
            // with the KID the wake-up named: the key set's algorithm, AES
            // or DES (TS 102 225 5.1.3).
            let security = PorSecurity::for_command(WAKE_UP_SPI, Kic(0), credentials.keys.kid());
            if let Ok(por) = parse_por_sms(user_data, &security, &credentials.keys) {
                return Ok(Some(por));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::secured::ResponseStatus;

    #[test]
    fn only_a_header_with_iei_71_is_a_por() {
        assert!(is_por(0x40, &[0x02, 0x71, 0x00, 0x00, 0x13]));
        assert!(!is_por(0x00, &[0x02, 0x71, 0x00, 0x00, 0x13]), "no UDHI");
        assert!(!is_por(0x40, &[0x02, 0x70, 0x00, 0x00, 0x13]), "a command, not a response");
        assert!(!is_por(0x40, &[0x05, 0x00, 0x03, 0x01, 0x02, 0x01, b'h']), "concatenated text");
        assert!(!is_por(0x40, &[0x09]), "header longer than the data");
        assert!(!is_por(0x40, &[]));
    }

    #[test]
    fn every_status_has_a_precreated_label() {
        for o in 0..=255u8 {
            let name = ResponseStatus::from_octet(o).label();
            assert!(super::super::metrics::POR_OUTCOMES.contains(&name), "{name}");
        }
    }
}
