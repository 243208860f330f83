//! The hello message: the first thing each side says inside the secured
//! channel. The applet's hello rides in the opening frame; the gateway
//! answers with its own, which proves to the applet that the gateway holds
//! the SIM's keys too.

/// The applet protocol version simgate speaks.
pub const PROTOCOL_VERSION: u8 = 1;
/// Octets of a hello after its type octet.
pub const HELLO_LEN: usize = 7;

/// What the sender supports, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub u16);

impl Capabilities {
    /// The sender can cipher (AES-CBC with KIc).
    pub const CIPHERING: Capabilities = Capabilities(0x0001);
    /// The sender answers commands with a proof of receipt.
    pub const PROOF_OF_RECEIPT: Capabilities = Capabilities(0x0002);

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of flags.
    pub const fn union(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }
}

/// A hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hello {
    /// The applet protocol version the sender speaks ([`PROTOCOL_VERSION`]).
    pub protocol: u8,
    /// For the applet: its applet version (what the registry records);
    /// for the gateway: its own release number, informative only.
    pub version: u16,
    /// The largest frame payload the sender accepts (its buffer).
    pub max_frame: u16,
    /// What the sender supports.
    pub capabilities: Capabilities,
}

impl Hello {
    /// Appends the seven octets: protocol (1), then version, max_frame and
    /// capabilities, each 2 octets big-endian.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.protocol);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.max_frame.to_be_bytes());
        out.extend_from_slice(&self.capabilities.0.to_be_bytes());
    }

    /// From exactly seven octets.
    pub fn read(octets: &[u8]) -> Option<Self> {
        let &[protocol, v0, v1, m0, m1, c0, c1] = <&[u8; HELLO_LEN]>::try_from(octets).ok()?;
        Some(Self {
            protocol,
            version: u16::from_be_bytes([v0, v1]),
            max_frame: u16::from_be_bytes([m0, m1]),
            capabilities: Capabilities(u16::from_be_bytes([c0, c1])),
        })
    }
}
