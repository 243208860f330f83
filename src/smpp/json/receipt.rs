//! The parsed delivery receipt of a deliver_sm or data_sm (v3.4 5.2.12
//! message types, Appendix B text, receipt TLVs 5.3.2.12/31/35), with the
//! normalised message id simgate correlates it by.

use super::value::Json;
use crate::smpp::pdu::Pdu;
use crate::smpp::receipt::{CarriedReceipt, DeliveryReceipt, ReceiptKind, Source};

/// The `receipt` object for a PDU that carries one: a deliver_sm or
/// data_sm whose esm_class marks a receipt, or which carries
/// receipted_message_id or message_state. `None` for any other PDU. A
/// receipt that does not parse gives `{"error": ...}`.
pub(crate) fn receipt_to_json(pdu: &Pdu<'_>) -> Option<Json> {
    let carried = CarriedReceipt::of(pdu)?;
    let kind = carried.kind;
    let mut out = Json::object();
    out.push(
        "kind",
        match kind {
            Some(ReceiptKind::SmscDeliveryReceipt) => Json::from("smsc_delivery_receipt"),
            Some(ReceiptKind::IntermediateNotification) => Json::from("intermediate_notification"),
            None => Json::Null,
        },
    );
    match carried.parse() {
        Ok(receipt) => push_receipt(&mut out, &receipt),
        Err(e) => out.push("error", e.to_string()),
    }
    Some(out)
}

fn source(s: Source) -> &'static str {
    match s {
        Source::Tlv => "tlv",
        Source::Text => "text",
    }
}

fn push_receipt(out: &mut Json, r: &DeliveryReceipt) {
    out.push("message_id", r.message_id.as_str());
    out.push("correlation_key", r.message_id.correlation_key().as_str());
    out.push("message_id_source", source(r.message_id_source));
    out.push("state", format!("{:?}", r.state).to_uppercase());
    out.push("message_state", r.state.as_u8());
    out.push("final", r.state.is_final());
    out.push("state_source", source(r.state_source));
    out.push("error_code", r.error_code);
    out.push(
        "network_error_code",
        r.network_error_code.map(|code| {
            let mut c = Json::object();
            c.push("network_type", code.network_type);
            c.push("error_code", code.error_code);
            c
        }),
    );
    out.push("submitted", r.submitted);
    out.push("delivered", r.delivered);
    out.push("submit_date", r.submit_date.map(|d| d.to_string()));
    out.push("done_date", r.done_date.map(|d| d.to_string()));
    out.push("text", r.text.clone());
    if !r.extra.is_empty() {
        let extra = r
            .extra
            .iter()
            .map(|f| {
                let mut e = Json::object();
                e.push("name", f.name.as_str());
                e.push("value", f.value.as_str());
                e
            })
            .collect::<Vec<_>>();
        out.push("extra", extra);
    }
    if !r.overridden.is_empty() {
        let mut o = Json::object();
        o.push("message_id", r.overridden.message_id.clone());
        o.push("stat", r.overridden.stat.clone());
        out.push("overridden_by_tlvs", o);
    }
}
