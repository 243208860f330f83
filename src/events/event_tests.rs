//! The JSON contract of the envelope and payloads (docs/events.md).

use super::*;
use crate::events::payload::*;
use crate::events::payload_sim::*;
use std::collections::HashSet;
use std::time::Duration;

fn origin() -> EventOrigin {
    EventOrigin { region: "eu-west-1".to_owned(), instance: "simgate-0".to_owned() }
}

fn fixed(key: &str, data: EventData) -> Event {
    let mut e = origin().event(EventKey::new(key).unwrap(), data);
    e.event_id = EventId(uuid::Uuid::parse_str("0193e5a0-7c00-7000-8000-00000000002a").unwrap());
    e.occurred_at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_620_112_345);
    e
}

fn outcome(stat: &str) -> MtOutcome {
    MtOutcome {
        message_id: "m-1".to_owned(),
        smsc_message_id: "a1b2".to_owned(),
        destination: "447700900123".to_owned(),
        stat: stat.to_owned(),
        error_code: Some("000".to_owned()),
        done_at: None,
        reason: None,
    }
}

/// One example payload per event type.
fn examples() -> Vec<EventData> {
    vec![
        EventData::SmsMtAccepted(MtAccepted {
            message_id: "m-1".to_owned(),
            source: "SIMGATE".to_owned(),
            destination: "447700900123".to_owned(),
            parts: 2,
            request_id: Some("r-7".to_owned()),
        }),
        EventData::SmsMtRejected(MtRejected {
            request_id: Some("r-8".to_owned()),
            field: Some("destination".to_owned()),
            problem: "an E.164 number: 3-15 digits, optional leading +".to_owned(),
            topic: "simgate.sms.mt.command".to_owned(),
            partition: 1,
            offset: 42,
        }),
        EventData::SmsMtSubmitted(MtSubmitted {
            message_id: "m-1".to_owned(),
            smsc_message_id: "a1b2".to_owned(),
            destination: "447700900123".to_owned(),
            bind_id: "smsc-a.0".to_owned(),
            part: 1,
            parts: 2,
        }),
        EventData::SmsMtDelivered(outcome("DELIVRD")),
        EventData::SmsMtFailed(outcome("UNDELIV")),
        EventData::SmsMtExpired(outcome("EXPIRED")),
        EventData::SmsMtUnknown(outcome("UNKNOWN")),
        EventData::SmsMoReceived(MoReceived {
            message_id: "mo-1".to_owned(),
            source: "447700900123".to_owned(),
            destination: "12345".to_owned(),
            data_coding: 0,
            text: Some("STOP".to_owned()),
            payload_hex: None,
            parts: 1,
            bind_id: "smsc-a.1".to_owned(),
        }),
        EventData::SmsDrUnmatched(DrUnmatched {
            smsc_message_id: "ffff".to_owned(),
            source: "447700900123".to_owned(),
            destination: "SIMGATE".to_owned(),
            stat: "DELIVRD".to_owned(),
            bind_id: "smsc-a.1".to_owned(),
        }),
        EventData::SmppBindUp(BindUp {
            account: "primary".to_owned(),
            bind_id: "primary/0".to_owned(),
            bind_type: "transceiver".to_owned(),
            peer: Some("10.0.0.7:2775".to_owned()),
        }),
        EventData::SmppBindDown(BindDown {
            account: "primary".to_owned(),
            bind_id: "primary/0".to_owned(),
            bind_type: "transceiver".to_owned(),
            reason: "enquire_link unanswered".to_owned(),
        }),
        EventData::SimSessionOpened(SessionOpened {
            iccid: ICCID.to_owned(),
            instance: "simgate-0".to_owned(),
            applet_version: 3,
        }),
        EventData::SimSessionClosed(SessionClosed {
            iccid: ICCID.to_owned(),
            instance: "simgate-0".to_owned(),
            reason: "idle_timeout".to_owned(),
            by_peer: false,
        }),
        EventData::SimCommandQueued(command_state()),
        EventData::SimCommandDelivered(command_state()),
        EventData::SimCommandResult(CommandResult {
            command_id: "c-1".to_owned(),
            iccid: ICCID.to_owned(),
            status: "ok".to_owned(),
            payload: "9000".to_owned(),
        }),
        EventData::SimCommandExpired(command_state()),
        EventData::SimOtaSent(OtaSent {
            iccid: ICCID.to_owned(),
            message_id: "m-2".to_owned(),
            tar: "b00010".to_owned(),
            counter: 7,
        }),
        EventData::SimOtaPor(OtaPor {
            iccid: ICCID.to_owned(),
            status: "ok".to_owned(),
            counter: 7,
            verified: true,
        }),
    ]
}

const ICCID: &str = "8944000000000042420";

fn command_state() -> CommandState {
    CommandState {
        command_id: "c-1".to_owned(),
        iccid: ICCID.to_owned(),
        command_type: "ping".to_owned(),
        instance: "simgate-0".to_owned(),
    }
}

#[test]
fn envelope_has_the_documented_shape() {
    let e = fixed(
        "+447700900123",
        EventData::SmsMtAccepted(MtAccepted {
            message_id: "m-1".to_owned(),
            source: "SIMGATE".to_owned(),
            destination: "+447700900123".to_owned(),
            parts: 1,
            request_id: None,
        }),
    );
    let json = String::from_utf8(e.to_json().unwrap()).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"schema_version":1,"event_id":"0193e5a0-7c00-7000-8000-00000000002a","#,
            r#""event_type":"sms.mt.accepted","occurred_at":"2025-12-01T20:15:12.345Z","#,
            r#""region":"eu-west-1","instance":"simgate-0","key":"+447700900123","#,
            r#""data":{"message_id":"m-1","source":"SIMGATE","destination":"+447700900123","parts":1}}"#
        )
    );
}

#[test]
fn every_example_round_trips_and_carries_its_type() {
    let data = examples();
    let covered: HashSet<EventType> = data.iter().map(EventData::event_type).collect();
    assert_eq!(covered.len(), EventType::ALL.len(), "one example per event type");
    for d in data {
        let e = fixed("447700900123", d);
        let json = e.to_json().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["event_type"], e.event_type.wire_name());
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        assert!(v["data"].is_object(), "{v}");
        assert_eq!(Event::from_json(&json).unwrap(), e);
    }
}

#[test]
fn absent_optional_fields_are_left_out() {
    let mut o = outcome("DELIVRD");
    o.error_code = None;
    let v = serde_json::to_value(EventData::SmsMtDelivered(o)).unwrap();
    assert!(v.get("error_code").is_none() && v.get("done_at").is_none(), "{v}");
}

#[test]
fn wire_names_are_unique_and_parse_back() {
    let mut seen = HashSet::new();
    for t in EventType::ALL {
        assert!(seen.insert(t.wire_name()), "duplicate wire name {t}");
        assert_eq!(EventType::from_wire_name(t.wire_name()), Some(*t));
        // `sms.mt.accepted` goes to `sms.mt`; every `sim.*` goes to `sim`.
        let (family, _) = t.wire_name().rsplit_once('.').unwrap();
        let suffix = t.topic().suffix();
        assert!(
            family == suffix || family.strip_prefix(suffix).is_some_and(|rest| rest.starts_with('.')),
            "{t} is in the topic of its family"
        );
    }
    assert_eq!(EventType::from_wire_name("sms.mt.lost"), None);
}

#[test]
fn topics_index_matches_their_order() {
    for (i, t) in Topic::ALL.iter().enumerate() {
        assert_eq!(*t as usize, i);
    }
    assert_eq!(Topic::SmsMt.name("simgate."), "simgate.sms.mt");
}

#[test]
fn local_stack_creates_every_topic() {
    let listed: HashSet<&str> = include_str!("../../config/kafka-topics.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let prefix = crate::settings::EventSettings::default().topic_prefix;
    for t in Topic::ALL {
        assert!(
            listed.contains(t.name(&prefix).as_str()),
            "{} missing from config/kafka-topics.txt",
            t.name(&prefix)
        );
    }
}

#[test]
fn bad_keys_are_refused_with_a_reason() {
    assert_eq!(EventKey::new(""), Err(KeyError::Empty));
    assert_eq!(EventKey::new("4".repeat(MAX_KEY_LEN + 1)), Err(KeyError::TooLong));
    assert_eq!(EventKey::new("44 7700"), Err(KeyError::BadCharacter));
    assert_eq!(EventKey::new("447700\n"), Err(KeyError::BadCharacter));
    assert!(EventKey::new("+447700900123").is_ok());
    assert!(EventKey::new("4".repeat(MAX_KEY_LEN)).is_ok());
}

#[test]
fn reading_rejects_unknown_types_and_mismatched_payloads() {
    let e = fixed("447700900123", examples().remove(0));
    let mut v: serde_json::Value = serde_json::from_slice(&e.to_json().unwrap()).unwrap();
    v["event_type"] = "sms.mt.lost".into();
    let err = serde_json::from_value::<Event>(v.clone()).unwrap_err();
    assert!(err.to_string().contains("unknown event type"), "{err}");
    v["event_type"] = "smpp.bind.down".into();
    assert!(serde_json::from_value::<Event>(v.clone()).is_err(), "accepted payload is no bind.down");
    v["event_type"] = "sms.mt.accepted".into();
    v["key"] = "bad key".into();
    assert!(serde_json::from_value::<Event>(v).is_err());
}

#[test]
fn fresh_ids_are_v7_and_increase() {
    let a = EventId::new();
    let b = EventId::new();
    assert_eq!(a.as_uuid().get_version_num(), 7);
    assert!(b > a);
    assert_ne!(a.to_string(), b.to_string());
}
