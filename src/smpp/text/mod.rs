//! Short-message text: GSM 03.38, UCS-2, Latin-1, IA5 and binary; choosing
//! the cheapest encoding; splitting long messages; reassembling parts.
