//! Delivery receipts: the v3.4 Appendix B text and its variants, the receipt
//! TLVs, and the normalisation of SMSC message ids.
