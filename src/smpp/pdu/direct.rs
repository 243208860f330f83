//! The encode of a PDU that is a header and one C-octet string, with no
//! TLVs: submit_sm_resp, deliver_sm_resp, data_sm_resp (message_id, v3.4
//! 4.4.2, 4.6.2, 4.7.2) and a bind response without
//! sc_interface_version (system_id, v3.4 4.1.2). These are most of what a
//! gateway sends, and they are small enough that the [`super::stage`]
//! costs more than it saves: zeroing it, gathering the octets there and
//! reading them back to copy them out (a read that has to wait for the
//! stores just made) takes longer than three writes straight to the
//! output: the header, the characters, the NUL.

use bytes::BufMut;

use super::error::PduError;
use super::fields::BodyCodec;
use super::header::{HEADER_LEN, Header};
use super::{Pdu, check_rules};

impl Pdu<'_> {
    /// Encode `self` when its body is one C-octet string (`body`) and it
    /// has no TLVs; `None`, with nothing written, when it is not such a
    /// PDU. The checks are those of the staged path, for this shape, and
    /// nothing is written when one fails.
    #[inline]
    pub(super) fn encode_direct<'b, T: BodyCodec<'b>, B: BufMut>(
        &self,
        body: &T,
        buf: &mut B,
    ) -> Option<Result<(), PduError>> {
        if !self.tlvs.is_empty() {
            return None;
        }
        let chars = body.lone_cstr()?;
        Some(self.put_direct(chars, buf))
    }

    /// The checks of the staged path for a PDU without TLVs, then the
    /// header, `chars` and the NUL (v3.4 3.1) into `buf`.
    #[inline]
    fn put_direct<B: BufMut>(&self, chars: &[u8], buf: &mut B) -> Result<(), PduError> {
        // Without TLVs no TLV is present; the rules then hold for every
        // one-string body, but they are checked as on the staged path.
        check_rules(self.command_status, &self.body, |_| false)?;
        let len = HEADER_LEN + chars.len() + 1;
        let command_length = u32::try_from(len).map_err(|_| PduError::TooLarge { len })?;
        if buf.remaining_mut() < len {
            return Err(PduError::TooLarge { len });
        }
        let header = Header {
            command_length,
            command_id: self.command_id().as_u32(),
            command_status: self.command_status,
            sequence_number: self.sequence_number,
        };
        buf.put_slice(&header.to_bytes());
        buf.put_slice(chars);
        buf.put_u8(0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bytes::BytesMut;

    use crate::smpp::pdu::{
        BindResp, Body, COctetString, CommandId, CommandStatus, DataSmResp, DeliverSmResp, Pdu, PduError,
        SubmitSmResp, Tlv, Tlvs, decode,
    };

    /// A header and a NUL-terminated string, assembled by hand.
    fn frame(command_id: u32, status: u32, sequence: u32, chars: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&u32::try_from(16 + chars.len() + 1).unwrap().to_be_bytes());
        out.extend_from_slice(&command_id.to_be_bytes());
        out.extend_from_slice(&status.to_be_bytes());
        out.extend_from_slice(&sequence.to_be_bytes());
        out.extend_from_slice(chars);
        out.push(0);
        out
    }

    /// `pdu` into a `Vec`, a `BytesMut` and an exact-size slice.
    fn encodings(pdu: &Pdu<'_>) -> [Vec<u8>; 3] {
        let mut vec = Vec::new();
        pdu.encode(&mut vec).unwrap();
        let mut bytes = BytesMut::new();
        pdu.encode(&mut bytes).unwrap();
        let mut storage = vec![0xAA; pdu.encoded_len()];
        let mut slice = &mut storage[..];
        pdu.encode(&mut slice).unwrap();
        assert!(slice.is_empty(), "the slice is filled exactly");
        [vec, bytes.to_vec(), storage]
    }

    #[test]
    fn smpp_direct_responses_are_byte_exact_in_every_output() {
        let id_64 = "0123456789abcdef".repeat(4);
        for id in ["", "7f3a9c21e4b05d68", id_64.as_str()] {
            let message_id = COctetString::new(id.as_bytes()).unwrap();
            let bodies = [
                (0x8000_0004, Body::SubmitSmResp(SubmitSmResp { message_id })),
                (0x8000_0005, Body::DeliverSmResp(DeliverSmResp { message_id })),
                (0x8000_0103, Body::DataSmResp(DataSmResp { message_id })),
            ];
            for (command_id, body) in bodies {
                let pdu = Pdu::new(CommandStatus::ESME_ROK, 0x0001_0203, body);
                let expected = frame(command_id, 0, 0x0001_0203, id.as_bytes());
                for out in encodings(&pdu) {
                    assert_eq!(out, expected, "{id:?}");
                }
                assert_eq!(decode(&expected).unwrap(), pdu);
            }
        }
    }

    #[test]
    fn smpp_direct_keeps_the_status_and_the_bind_response() {
        let system_id = COctetString::new(b"SMSC01").unwrap();
        let pdu =
            Pdu::new(CommandStatus::ESME_RBINDFAIL, 9, Body::BindTransceiverResp(BindResp { system_id }));
        let expected = frame(0x8000_0009, 0x0D, 9, b"SMSC01");
        for out in encodings(&pdu) {
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn smpp_direct_leaves_a_response_with_tlvs_to_the_staged_path() {
        let system_id = COctetString::new(b"SMSC01").unwrap();
        let pdu = Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: 9,
            body: Body::BindTransceiverResp(BindResp { system_id }),
            tlvs: Tlvs::from_items(vec![Tlv::ScInterfaceVersion(0x34)]),
        };
        let mut expected = frame(0x8000_0009, 0, 9, b"SMSC01");
        expected.extend_from_slice(&[0x02, 0x10, 0x00, 0x01, 0x34]);
        expected[3] = u8::try_from(expected.len()).unwrap();
        for out in encodings(&pdu) {
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn smpp_direct_refuses_a_short_buffer_and_writes_nothing() {
        let message_id = COctetString::new(b"abc").unwrap();
        let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::SubmitSmResp(SubmitSmResp { message_id }));
        let mut storage = [0xAAu8; 19];
        let mut slice = &mut storage[..];
        assert_eq!(pdu.encode(&mut slice), Err(PduError::TooLarge { len: 20 }));
        assert_eq!(slice.len(), 19);
        assert_eq!(storage, [0xAA; 19]);
    }

    #[test]
    fn smpp_direct_still_refuses_an_ok_response_without_its_body() {
        let pdu = Pdu::new(CommandStatus::ESME_ROK, 1, Body::EmptyResponse(CommandId::SubmitSmResp));
        assert_eq!(pdu.to_vec(), Err(PduError::TruncatedBody));
    }
}
