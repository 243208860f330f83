//! SMPP PDUs: the 16-octet header, command ids and statuses, TLVs, and
//! the body of every PDU, each with one decoder (nom, over one complete
//! frame) and one encoder (into `bytes::BufMut`).
