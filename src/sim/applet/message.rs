//! The application messages of the applet channel: the secured data of
//! every command packet after the opening (and of the OTA wake-up). One
//! type octet, then the fields of that type.
//!
//! | type | message | fields after the type octet |
//! |---|---|---|
//! | 01 | hello | protocol (1), version (2), max frame (2), capabilities (2) |
//! | 02 | command (gateway to SIM) | command id (16), type length (1), type (1-32), payload (rest) |
//! | 03 | result (SIM to gateway) | command id (16), status (1), payload (rest) |
//! | 04 | proof of receipt | counter acknowledged (5), status (1, TS 102 225 5.2 codes) |
//! | 05 | heartbeat | none |
//! | 06 | close | reason (1) |
//! | 07 | wake-up (OTA only) | none |

use super::close::CloseReason;
use super::command::{CommandId, CommandType, MAX_COMMAND_TYPE_LEN, ResultStatus};
use super::hello::Hello;
use crate::sim::secured::{Counter, ResponseStatus};

/// Type octets.
mod tag {
    pub const HELLO: u8 = 0x01;
    pub const COMMAND: u8 = 0x02;
    pub const RESULT: u8 = 0x03;
    pub const POR: u8 = 0x04;
    pub const HEARTBEAT: u8 = 0x05;
    pub const CLOSE: u8 = 0x06;
    pub const WAKE_UP: u8 = 0x07;
}

/// Why a message did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// No octets at all.
    #[error("empty message")]
    Empty,
    /// A type octet no version of the protocol defines.
    #[error("unknown message type {0:#04x}")]
    UnknownType(u8),
    /// Fields shorter or longer than the type defines.
    #[error("message type {0:#04x} has the wrong length")]
    Length(u8),
    /// A command type that is not 1-32 of the allowed characters.
    #[error("invalid command type")]
    CommandType,
}

/// One application message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppletMessage {
    /// The opening words of each side.
    Hello(Hello),
    /// A command for the applet.
    Command {
        /// Its id, echoed by the result.
        id: CommandId,
        /// What to do.
        kind: CommandType,
        /// Its arguments, opaque to the channel.
        payload: Vec<u8>,
    },
    /// The applet's answer to a command.
    Result {
        /// The command answered.
        id: CommandId,
        /// How it went.
        status: ResultStatus,
        /// The answer, opaque to the channel.
        payload: Vec<u8>,
    },
    /// Receipt of the message with `counter` (asked for by its SPI).
    ProofOfReceipt {
        /// The acknowledged message's counter.
        counter: Counter,
        /// The outcome, as TS 102 225 5.2 codes it.
        status: ResponseStatus,
    },
    /// Keeps the connection and the load balancer's flow alive.
    Heartbeat,
    /// The sender ends the session.
    Close(CloseReason),
    /// OTA only: "open your channel to the gateway".
    WakeUp,
}

impl AppletMessage {
    /// Appends the encoded message to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            AppletMessage::Hello(h) => {
                out.push(tag::HELLO);
                h.write(out);
            }
            AppletMessage::Command { id, kind, payload } => {
                out.push(tag::COMMAND);
                out.extend_from_slice(&id.0);
                // CommandType holds at most 32 octets.
                out.push(kind.as_str().len() as u8);
                out.extend_from_slice(kind.as_str().as_bytes());
                out.extend_from_slice(payload);
            }
            AppletMessage::Result { id, status, payload } => {
                out.push(tag::RESULT);
                out.extend_from_slice(&id.0);
                out.push(status.octet());
                out.extend_from_slice(payload);
            }
            AppletMessage::ProofOfReceipt { counter, status } => {
                out.push(tag::POR);
                out.extend_from_slice(&counter.to_octets());
                out.push(status.octet());
            }
            AppletMessage::Heartbeat => out.push(tag::HEARTBEAT),
            AppletMessage::Close(reason) => out.extend_from_slice(&[tag::CLOSE, reason.octet()]),
            AppletMessage::WakeUp => out.push(tag::WAKE_UP),
        }
    }

    /// The encoded message.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Decodes one message, which fills `octets` exactly. Never panics.
    pub fn decode(octets: &[u8]) -> Result<Self, MessageError> {
        let (&t, body) = octets.split_first().ok_or(MessageError::Empty)?;
        let wrong = MessageError::Length(t);
        match t {
            tag::HELLO => Hello::read(body).map(AppletMessage::Hello).ok_or(wrong),
            tag::COMMAND => {
                let (id, rest) = split_id(body).ok_or(wrong)?;
                let (&len, rest) = rest.split_first().ok_or(wrong)?;
                let len = usize::from(len);
                if len > MAX_COMMAND_TYPE_LEN || len > rest.len() {
                    return Err(wrong);
                }
                let (kind, payload) = rest.split_at(len);
                let kind = CommandType::from_octets(kind).map_err(|_| MessageError::CommandType)?;
                Ok(AppletMessage::Command { id, kind, payload: payload.to_vec() })
            }
            tag::RESULT => {
                let (id, rest) = split_id(body).ok_or(wrong)?;
                let (&status, payload) = rest.split_first().ok_or(wrong)?;
                Ok(AppletMessage::Result {
                    id,
                    status: ResultStatus::from_octet(status),
                    payload: payload.to_vec(),
                })
            }
            tag::POR => match *body {
                [a, b, c, d, e, s] => Ok(AppletMessage::ProofOfReceipt {
                    counter: Counter::from_octets([a, b, c, d, e]),
                    status: ResponseStatus::from_octet(s),
                }),
                _ => Err(wrong),
            },
            tag::HEARTBEAT if body.is_empty() => Ok(AppletMessage::Heartbeat),
            tag::CLOSE => match *body {
                [r] => Ok(AppletMessage::Close(CloseReason::from_octet(r))),
                _ => Err(wrong),
            },
            tag::WAKE_UP if body.is_empty() => Ok(AppletMessage::WakeUp),
            tag::HEARTBEAT | tag::WAKE_UP => Err(wrong),
            other => Err(MessageError::UnknownType(other)),
        }
    }
}

fn split_id(body: &[u8]) -> Option<(CommandId, &[u8])> {
    let (id, rest) = body.split_first_chunk::<16>()?;
    Some((CommandId(*id), rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::applet::hello::Capabilities;

    pub(crate) fn instances() -> Vec<AppletMessage> {
        let id = CommandId(*b"0123456789abcdef");
        vec![
            AppletMessage::Hello(Hello {
                protocol: 1,
                version: 3,
                max_frame: 1024,
                capabilities: Capabilities(3),
            }),
            AppletMessage::Command { id, kind: CommandType::new("ping").unwrap(), payload: vec![] },
            AppletMessage::Command {
                id,
                kind: CommandType::new(&"x".repeat(32)).unwrap(),
                payload: vec![1; 200],
            },
            AppletMessage::Result { id, status: ResultStatus::Ok, payload: b"pong".to_vec() },
            AppletMessage::Result { id, status: ResultStatus::Other(0x80), payload: vec![] },
            AppletMessage::ProofOfReceipt {
                counter: Counter::new(9).unwrap(),
                status: ResponseStatus::PorOk,
            },
            AppletMessage::Heartbeat,
            AppletMessage::Close(CloseReason::ServerDraining),
            AppletMessage::WakeUp,
        ]
    }

    #[test]
    fn round_trips_over_a_list_of_instances() {
        for m in instances() {
            let wire = m.to_vec();
            assert_eq!(AppletMessage::decode(&wire), Ok(m.clone()));
            // One octet more or less breaks every fixed-length message.
            if !matches!(m, AppletMessage::Command { .. } | AppletMessage::Result { .. }) {
                let mut longer = wire.clone();
                longer.push(0);
                assert_eq!(AppletMessage::decode(&longer), Err(MessageError::Length(wire[0])), "{m:?}");
            }
        }
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        assert_eq!(AppletMessage::decode(&[]), Err(MessageError::Empty));
        assert_eq!(AppletMessage::decode(&[0x99]), Err(MessageError::UnknownType(0x99)));
        assert_eq!(AppletMessage::decode(&[0x01, 0, 1]), Err(MessageError::Length(1)));
        assert_eq!(AppletMessage::decode(&[0x03; 10]), Err(MessageError::Length(3)));
        let mut cmd = vec![0x02];
        cmd.extend_from_slice(&[0; 16]);
        cmd.extend_from_slice(&[3, b'a', b' ', b'b']);
        assert_eq!(AppletMessage::decode(&cmd), Err(MessageError::CommandType));
        cmd[17] = 40;
        assert_eq!(AppletMessage::decode(&cmd), Err(MessageError::Length(2)));
    }
}
