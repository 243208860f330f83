//! Tests of the PDU codec.
