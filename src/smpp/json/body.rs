//! The mandatory fields of every PDU as a JSON object, named as in the
//! specification (v3.4 4.1-4.12, v5.0 4.x) and in wire order, and back.
//! Absent fields are 0 or NULL; unknown ones are refused.

use serde_json::Value;

use super::error::{JsonError, JsonErrorKind};
use super::fields::{JsonField, Leaves, Obj, index, prepare_string};
use super::short_message;
use super::value::Json;
use crate::smpp::pdu::submit_multi::{DEST_FLAG_DISTRIBUTION_LIST, DEST_FLAG_SME_ADDRESS, MAX_DESTINATIONS};
use crate::smpp::pdu::{
    AlertNotification, Bind, BindResp, Body, BroadcastSm, BroadcastSmResp, CancelBroadcastSm, CancelSm,
    CommandId, DataSm, DataSmResp, DeliverSmResp, DestAddress, Outbind, QueryBroadcastSm,
    QueryBroadcastSmResp, QuerySm, QuerySmResp, ReplaceSm, ShortMessage, SmFields, SubmitMulti,
    SubmitMultiResp, SubmitSmResp, UnsuccessSme,
};

/// A body type as a JSON object, both ways.
pub(crate) trait JsonBody<'a>: Sized {
    /// The body as JSON.
    fn to_json(&self) -> Json;
    /// The body from the object `obj`, whose hex and text leaves are in
    /// `leaves`.
    fn from_json(obj: &Obj<'a>, leaves: &'a Leaves) -> Result<Self, JsonError>;
}

/// Implements [`JsonBody`] for a body of plain fields, listed in wire
/// order; `short_message` (always last) takes the data_coding and
/// esm_class given by the closure.
macro_rules! json_body {
    ($ty:ident { $($field:ident),* $(,)? } $(short_message: $ctx:expr)?) => {
        impl<'a> JsonBody<'a> for $ty<'a> {
            fn to_json(&self) -> Json {
                let mut out = Json::object();
                $(out.push(stringify!($field), JsonField::to_json(&self.$field));)*
                $(
                    let (data_coding, esm_class) = ($ctx)(self);
                    out.push(
                        "short_message",
                        short_message::to_json(self.short_message.as_bytes(), data_coding, esm_class),
                    );
                )?
                out
            }

            fn from_json(obj: &Obj<'a>, leaves: &'a Leaves) -> Result<Self, JsonError> {
                obj.check_keys(&[$(stringify!($field),)* $(json_body!(@short_message $ctx))?])?;
                let mut body = $ty::default();
                $(
                    if let Some((value, path)) = obj.field(stringify!($field)) {
                        body.$field = JsonField::from_json(value, &path, leaves)?;
                    }
                )*
                $(
                    let _ = $ctx;
                    body.short_message = short_message_leaf(obj, leaves)?;
                )?
                Ok(body)
            }
        }
    };
    (@short_message $ctx:expr) => { "short_message" };
}

fn short_message_leaf<'a>(obj: &Obj<'_>, leaves: &'a Leaves) -> Result<ShortMessage<'a>, JsonError> {
    let path = obj.child("short_message");
    ShortMessage::new(leaves.get(&path).unwrap_or_default()).map_err(|e| JsonError::new(path, e))
}

json_body!(Bind { system_id, password, system_type, interface_version, addr_ton, addr_npi, address_range });
json_body!(BindResp { system_id });
json_body!(Outbind { system_id, password });
json_body!(QuerySm { message_id, source_addr_ton, source_addr_npi, source_addr });
json_body!(QuerySmResp { message_id, final_date, message_state, error_code });
json_body!(SmFields {
    service_type, source_addr_ton, source_addr_npi, source_addr, dest_addr_ton, dest_addr_npi,
    destination_addr, esm_class, protocol_id, priority_flag, schedule_delivery_time, validity_period,
    registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id,
} short_message: |b: &SmFields<'_>| (Some(b.data_coding), b.esm_class));
json_body!(SubmitSmResp { message_id });
json_body!(DeliverSmResp { message_id });
json_body!(ReplaceSm {
    message_id, source_addr_ton, source_addr_npi, source_addr, schedule_delivery_time, validity_period,
    registered_delivery, sm_default_msg_id,
} short_message: |_: &ReplaceSm<'_>| (None::<u8>, 0u8));
json_body!(CancelSm {
    service_type,
    message_id,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    dest_addr_ton,
    dest_addr_npi,
    destination_addr,
});
json_body!(AlertNotification {
    source_addr_ton,
    source_addr_npi,
    source_addr,
    esme_addr_ton,
    esme_addr_npi,
    esme_addr,
});
json_body!(DataSm {
    service_type,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    dest_addr_ton,
    dest_addr_npi,
    destination_addr,
    esm_class,
    registered_delivery,
    data_coding,
});
json_body!(DataSmResp { message_id });
json_body!(BroadcastSm {
    service_type,
    source_addr_ton,
    source_addr_npi,
    source_addr,
    message_id,
    priority_flag,
    schedule_delivery_time,
    validity_period,
    replace_if_present_flag,
    data_coding,
    sm_default_msg_id,
});
json_body!(BroadcastSmResp { message_id });
json_body!(QueryBroadcastSm { message_id, source_addr_ton, source_addr_npi, source_addr });
json_body!(QueryBroadcastSmResp { message_id });
json_body!(CancelBroadcastSm { service_type, message_id, source_addr_ton, source_addr_npi, source_addr });

/// Fields of submit_multi before and after the destination list.
const SUBMIT_MULTI_HEAD: [&str; 4] = ["service_type", "source_addr_ton", "source_addr_npi", "source_addr"];

impl<'a> JsonBody<'a> for SubmitMulti<'a> {
    fn to_json(&self) -> Json {
        let mut out = Json::object();
        out.push("service_type", self.service_type.to_json());
        out.push("source_addr_ton", self.source_addr_ton);
        out.push("source_addr_npi", self.source_addr_npi);
        out.push("source_addr", self.source_addr.to_json());
        out.push("number_of_dests", self.dest_addresses.len());
        let dests = self
            .dest_addresses
            .iter()
            .map(|dest| {
                let mut d = Json::object();
                match dest {
                    DestAddress::Sme { dest_addr_ton, dest_addr_npi, destination_addr } => {
                        d.push("dest_flag", DEST_FLAG_SME_ADDRESS);
                        d.push("dest_addr_ton", dest_addr_ton);
                        d.push("dest_addr_npi", dest_addr_npi);
                        d.push("destination_addr", destination_addr.to_json());
                    }
                    DestAddress::DistributionList(name) => {
                        d.push("dest_flag", DEST_FLAG_DISTRIBUTION_LIST);
                        d.push("dl_name", name.to_json());
                    }
                }
                d
            })
            .collect::<Vec<_>>();
        out.push("dest_addresses", dests);
        out.push("esm_class", self.esm_class);
        out.push("protocol_id", self.protocol_id);
        out.push("priority_flag", self.priority_flag);
        out.push("schedule_delivery_time", self.schedule_delivery_time.to_json());
        out.push("validity_period", self.validity_period.to_json());
        out.push("registered_delivery", self.registered_delivery);
        out.push("replace_if_present_flag", self.replace_if_present_flag);
        out.push("data_coding", self.data_coding);
        out.push("sm_default_msg_id", self.sm_default_msg_id);
        out.push(
            "short_message",
            short_message::to_json(self.short_message.as_bytes(), Some(self.data_coding), self.esm_class),
        );
        out
    }

    fn from_json(obj: &Obj<'a>, leaves: &'a Leaves) -> Result<Self, JsonError> {
        let tail = [
            "esm_class",
            "protocol_id",
            "priority_flag",
            "schedule_delivery_time",
            "validity_period",
            "registered_delivery",
            "replace_if_present_flag",
            "data_coding",
            "sm_default_msg_id",
        ];
        let mut allowed: Vec<&str> = SUBMIT_MULTI_HEAD.to_vec();
        allowed.extend(["number_of_dests", "dest_addresses", "short_message"]);
        allowed.extend(tail);
        obj.check_keys(&allowed)?;
        let field = |key: &str| obj.field(key);
        let mut body = SubmitMulti::default();
        macro_rules! read {
            ($($f:ident),*) => {$(
                if let Some((value, path)) = field(stringify!($f)) {
                    body.$f = JsonField::from_json(value, &path, leaves)?;
                }
            )*};
        }
        read!(service_type, source_addr_ton, source_addr_npi, source_addr);
        read!(esm_class, protocol_id, priority_flag, schedule_delivery_time, validity_period);
        read!(registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id);
        let items = list(obj, "dest_addresses", "number_of_dests")?;
        let mut dests = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let d = Obj::new(item, &index(&obj.child("dest_addresses"), i))?;
            let flag: u8 = d.uint("dest_flag", "1 (SME address) or 2 (distribution list)")?;
            let pick = |key: &str| -> Result<_, JsonError> {
                match d.field(key) {
                    Some((value, path)) => JsonField::from_json(value, &path, leaves),
                    None => Ok(Default::default()),
                }
            };
            dests.push(match flag {
                DEST_FLAG_SME_ADDRESS | 0 => {
                    d.check_keys(&["dest_flag", "dest_addr_ton", "dest_addr_npi", "destination_addr"])?;
                    DestAddress::Sme {
                        dest_addr_ton: d.uint("dest_addr_ton", "an integer 0..=255")?,
                        dest_addr_npi: d.uint("dest_addr_npi", "an integer 0..=255")?,
                        destination_addr: pick("destination_addr")?,
                    }
                }
                DEST_FLAG_DISTRIBUTION_LIST => {
                    d.check_keys(&["dest_flag", "dl_name"])?;
                    DestAddress::DistributionList(pick("dl_name")?)
                }
                _ => {
                    let expected = "1 (SME address) or 2 (distribution list)";
                    return Err(JsonError::new(d.child("dest_flag"), JsonErrorKind::WrongType { expected }));
                }
            });
        }
        body.dest_addresses = dests.into();
        body.short_message = short_message_leaf(obj, leaves)?;
        Ok(body)
    }
}

impl<'a> JsonBody<'a> for SubmitMultiResp<'a> {
    fn to_json(&self) -> Json {
        let mut out = Json::object();
        out.push("message_id", self.message_id.to_json());
        out.push("no_unsuccess", self.unsuccess_smes.len());
        let items = self
            .unsuccess_smes
            .iter()
            .map(|u| {
                let mut d = Json::object();
                d.push("dest_addr_ton", u.dest_addr_ton);
                d.push("dest_addr_npi", u.dest_addr_npi);
                d.push("destination_addr", u.destination_addr.to_json());
                d.push("error_status_code", u.error_status_code.to_json());
                d
            })
            .collect::<Vec<_>>();
        out.push("unsuccess_smes", items);
        out
    }

    fn from_json(obj: &Obj<'a>, leaves: &'a Leaves) -> Result<Self, JsonError> {
        obj.check_keys(&["message_id", "no_unsuccess", "unsuccess_smes"])?;
        let mut body = SubmitMultiResp::default();
        if let Some((value, path)) = obj.field("message_id") {
            body.message_id = JsonField::from_json(value, &path, leaves)?;
        }
        let items = list(obj, "unsuccess_smes", "no_unsuccess")?;
        let mut smes = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let d = Obj::new(item, &index(&obj.child("unsuccess_smes"), i))?;
            d.check_keys(&["dest_addr_ton", "dest_addr_npi", "destination_addr", "error_status_code"])?;
            let mut sme = UnsuccessSme {
                dest_addr_ton: d.uint("dest_addr_ton", "an integer 0..=255")?,
                dest_addr_npi: d.uint("dest_addr_npi", "an integer 0..=255")?,
                destination_addr: Default::default(),
                error_status_code: Default::default(),
            };
            if let Some((value, path)) = d.field("destination_addr") {
                sme.destination_addr = JsonField::from_json(value, &path, leaves)?;
            }
            if let Some((value, path)) = d.field("error_status_code") {
                sme.error_status_code = JsonField::from_json(value, &path, leaves)?;
            }
            smes.push(sme);
        }
        body.unsuccess_smes = smes.into();
        Ok(body)
    }
}

/// The array under `key`, at most 254 long (v3.4 4.5.1), whose length
/// must equal the derived count under `count_key` when that is given.
fn list<'v>(obj: &Obj<'v>, key: &str, count_key: &str) -> Result<&'v [Value], JsonError> {
    let items = match obj.field(key) {
        Some((Value::Array(items), _)) => items.as_slice(),
        Some((_, path)) => {
            return Err(JsonError::new(path, JsonErrorKind::WrongType { expected: "an array" }));
        }
        None => &[],
    };
    if items.len() > MAX_DESTINATIONS {
        let expected = "an array of at most 254 entries";
        return Err(JsonError::new(obj.child(key), JsonErrorKind::WrongType { expected }));
    }
    if let Some((value, path)) = obj.field(count_key) {
        let count: usize = super::fields::uint(value, &path, "an integer 0..=254")?;
        if count != items.len() {
            let why = format!("{count_key} is {count} but {key} has {} entries", items.len());
            return Err(JsonError::new(path, JsonErrorKind::Mismatch(why)));
        }
    }
    Ok(items)
}

/// The body of `body` as JSON: an object of its fields, or `null` for a
/// response sent without its body.
pub(crate) fn body_to_json(body: &Body<'_>) -> Json {
    match body {
        Body::BindReceiver(b) | Body::BindTransmitter(b) | Body::BindTransceiver(b) => b.to_json(),
        Body::BindReceiverResp(b) | Body::BindTransmitterResp(b) | Body::BindTransceiverResp(b) => {
            b.to_json()
        }
        Body::Outbind(b) => b.to_json(),
        Body::QuerySm(b) => b.to_json(),
        Body::QuerySmResp(b) => b.to_json(),
        Body::SubmitSm(b) | Body::DeliverSm(b) => b.to_json(),
        Body::SubmitSmResp(b) => b.to_json(),
        Body::DeliverSmResp(b) => b.to_json(),
        Body::ReplaceSm(b) => b.to_json(),
        Body::CancelSm(b) => b.to_json(),
        Body::SubmitMulti(b) => b.to_json(),
        Body::SubmitMultiResp(b) => b.to_json(),
        Body::AlertNotification(b) => b.to_json(),
        Body::DataSm(b) => b.to_json(),
        Body::DataSmResp(b) => b.to_json(),
        Body::BroadcastSm(b) => b.to_json(),
        Body::BroadcastSmResp(b) => b.to_json(),
        Body::QueryBroadcastSm(b) => b.to_json(),
        Body::QueryBroadcastSmResp(b) => b.to_json(),
        Body::CancelBroadcastSm(b) => b.to_json(),
        Body::EmptyResponse(_) => Json::Null,
        Body::GenericNack
        | Body::Unbind
        | Body::UnbindResp
        | Body::EnquireLink
        | Body::EnquireLinkResp
        | Body::CancelSmResp
        | Body::ReplaceSmResp
        | Body::CancelBroadcastSmResp => Json::object(),
    }
}

/// The data_coding and esm_class of a body object, which the text of
/// short_message and message_payload depend on. `data_coding` is `None`
/// for bodies without one.
pub(crate) fn text_context(id: CommandId, obj: Option<&Obj<'_>>) -> Result<(Option<u8>, u8), JsonError> {
    let has_data_coding = matches!(
        id,
        CommandId::SubmitSm
            | CommandId::DeliverSm
            | CommandId::SubmitMulti
            | CommandId::DataSm
            | CommandId::BroadcastSm
    );
    let Some(obj) = obj else {
        return Ok((has_data_coding.then_some(0), 0));
    };
    let data_coding =
        if has_data_coding { Some(obj.uint("data_coding", "an integer 0..=255")?) } else { None };
    let esm_class =
        if obj.get("esm_class").is_some() { obj.uint("esm_class", "an integer 0..=255")? } else { 0 };
    Ok((data_coding, esm_class))
}

/// Decode the hex and text leaves of a body object into `leaves`: the
/// short message, and every string field given as `{"hex": ...}`.
pub(crate) fn prepare(id: CommandId, obj: &Obj<'_>, leaves: &mut Leaves) -> Result<(), JsonError> {
    let (data_coding, esm_class) = text_context(id, Some(obj))?;
    let has_short_message = matches!(
        id,
        CommandId::SubmitSm | CommandId::DeliverSm | CommandId::SubmitMulti | CommandId::ReplaceSm
    );
    for (key, value) in obj.entries() {
        let path = obj.child(key);
        match (key, value) {
            ("short_message", v) if has_short_message => {
                let octets = short_message::from_json(v, &path, data_coding, esm_class)?;
                leaves.insert(path, octets);
            }
            (_, Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(map) = item {
                        for (k, v) in map {
                            prepare_string(v, &super::fields::join(&index(&path, i), k), leaves)?;
                        }
                    }
                }
            }
            (_, v) => prepare_string(v, &path, leaves)?,
        }
    }
    Ok(())
}

/// The body for `id` from the JSON at `path` (absent: all fields 0/NULL;
/// `null`: a response sent without its body).
pub(crate) fn body_from_json<'a>(
    id: CommandId,
    value: Option<&'a Value>,
    path: &str,
    leaves: &'a Leaves,
) -> Result<Body<'a>, JsonError> {
    if let Some(Value::Null) = value {
        return Ok(Body::EmptyResponse(id));
    }
    let obj = match value {
        Some(v) => Obj::new(v, path)?,
        None => Obj::from_map(&EMPTY_MAP, path),
    };
    fn read<'a, T: JsonBody<'a>>(obj: &Obj<'a>, leaves: &'a Leaves) -> Result<T, JsonError> {
        T::from_json(obj, leaves)
    }
    let no_fields = |body: Body<'static>| obj.check_keys(&[]).map(|()| body);
    Ok(match id {
        CommandId::BindReceiver => Body::BindReceiver(read(&obj, leaves)?),
        CommandId::BindTransmitter => Body::BindTransmitter(read(&obj, leaves)?),
        CommandId::BindTransceiver => Body::BindTransceiver(read(&obj, leaves)?),
        CommandId::BindReceiverResp => Body::BindReceiverResp(read(&obj, leaves)?),
        CommandId::BindTransmitterResp => Body::BindTransmitterResp(read(&obj, leaves)?),
        CommandId::BindTransceiverResp => Body::BindTransceiverResp(read(&obj, leaves)?),
        CommandId::Outbind => Body::Outbind(read(&obj, leaves)?),
        CommandId::QuerySm => Body::QuerySm(read(&obj, leaves)?),
        CommandId::QuerySmResp => Body::QuerySmResp(read(&obj, leaves)?),
        CommandId::SubmitSm => Body::SubmitSm(read(&obj, leaves)?),
        CommandId::DeliverSm => Body::DeliverSm(read(&obj, leaves)?),
        CommandId::SubmitSmResp => Body::SubmitSmResp(read(&obj, leaves)?),
        CommandId::DeliverSmResp => Body::DeliverSmResp(read(&obj, leaves)?),
        CommandId::ReplaceSm => Body::ReplaceSm(read(&obj, leaves)?),
        CommandId::CancelSm => Body::CancelSm(read(&obj, leaves)?),
        CommandId::SubmitMulti => Body::SubmitMulti(read(&obj, leaves)?),
        CommandId::SubmitMultiResp => Body::SubmitMultiResp(read(&obj, leaves)?),
        CommandId::AlertNotification => Body::AlertNotification(read(&obj, leaves)?),
        CommandId::DataSm => Body::DataSm(read(&obj, leaves)?),
        CommandId::DataSmResp => Body::DataSmResp(read(&obj, leaves)?),
        CommandId::BroadcastSm => Body::BroadcastSm(read(&obj, leaves)?),
        CommandId::BroadcastSmResp => Body::BroadcastSmResp(read(&obj, leaves)?),
        CommandId::QueryBroadcastSm => Body::QueryBroadcastSm(read(&obj, leaves)?),
        CommandId::QueryBroadcastSmResp => Body::QueryBroadcastSmResp(read(&obj, leaves)?),
        CommandId::CancelBroadcastSm => Body::CancelBroadcastSm(read(&obj, leaves)?),
        CommandId::GenericNack => no_fields(Body::GenericNack)?,
        CommandId::Unbind => no_fields(Body::Unbind)?,
        CommandId::UnbindResp => no_fields(Body::UnbindResp)?,
        CommandId::EnquireLink => no_fields(Body::EnquireLink)?,
        CommandId::EnquireLinkResp => no_fields(Body::EnquireLinkResp)?,
        CommandId::CancelSmResp => no_fields(Body::CancelSmResp)?,
        CommandId::ReplaceSmResp => no_fields(Body::ReplaceSmResp)?,
        CommandId::CancelBroadcastSmResp => no_fields(Body::CancelBroadcastSmResp)?,
    })
}

/// An empty map with a static lifetime, for absent bodies.
static EMPTY_MAP: std::sync::LazyLock<serde_json::Map<String, Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);
