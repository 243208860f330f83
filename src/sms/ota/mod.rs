//! The OTA side of the SMS pipeline (docs/applet-protocol.md, "OTA
//! wake-up"): [`OtaWaker`] sends a SIM the wake-up SMS when a command
//! waits and no applet session is open, through the one MT accept path,
//! so it is stored, claimed and submitted like every MT and survives
//! restarts; [`PorInbound`] takes the proof of receipt that comes back as
//! an MO (UDH IEI 0x71, TS 31.115 4), verifies it with the SIM's keys and
//! records it. [`WakeRecords`] is the `sim_ota` collection that ties the
//! two together, one document per wake-up keyed by ICCID and counter.

mod metrics;
mod por;
mod records;
mod waker;

pub use metrics::OtaMetrics;
pub use por::{PorInbound, is_por};
pub use records::{SIM_OTA, WakeRecord, WakeRecords, WakeState};
pub use waker::{OtaWaker, WakeSettings};
