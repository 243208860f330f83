//! Sealing and opening OTA packets under a registry key set: AES through
//! the [`crate::sim::KeySet`] paths of the packet code, DES through its `*_with` paths
//! after checking that the packet's KIc and KID name the key set's
//! algorithm and KVN (ETSI TS 102 225 5.1.2, 5.1.3).

use super::{Keys, RegistryKeys};
use crate::sim::secured::des;
use crate::sim::secured::{
    ChecksumKind, CommandPacket, CommandPacketView, Kic, Kid, PorSecurity, ResponsePacket,
    ResponsePacketView, SecuredError,
};

impl RegistryKeys {
    /// Refuses a packet whose KIc (when `ciphered`) or KID (when it has a
    /// cryptographic checksum) names another algorithm or key version than
    /// this key set.
    fn check_names(
        &self,
        kic: Kic,
        kid: Kid,
        ciphered: bool,
        checksum: ChecksumKind,
    ) -> Result<(), SecuredError> {
        let kvn = self.kvn().get();
        if ciphered {
            if kic.algorithm() != self.algorithm().kic_algorithm() {
                return Err(SecuredError::UnsupportedAlgorithm("KIc other than the key set's algorithm"));
            }
            if kic.key_version() != kvn {
                return Err(SecuredError::KeyVersion { packet: kic.key_version(), keys: kvn });
            }
        }
        if checksum == ChecksumKind::Cryptographic {
            if kid.algorithm() != self.algorithm().kid_algorithm() {
                return Err(SecuredError::UnsupportedAlgorithm("KID other than the key set's algorithm"));
            }
            if kid.key_version() != kvn {
                return Err(SecuredError::KeyVersion { packet: kid.key_version(), keys: kvn });
            }
        }
        Ok(())
    }

    /// Seals a command packet under this key set (AES: the
    /// [`CommandPacket::seal`] path; DES: [`CommandPacket::seal_with`]
    /// after checking the packet's KIc and KID).
    pub fn seal_command(&self, packet: &CommandPacket, aad: &[u8]) -> Result<Vec<u8>, SecuredError> {
        match &self.0 {
            Keys::Aes(k) => packet.seal(k, aad),
            Keys::Des { .. } => {
                self.check_names(packet.kic, packet.kid, packet.spi.ciphered, packet.spi.checksum)?;
                packet.seal_with(&self.packet_keys(), aad)
            }
        }
    }

    /// Opens a command packet under this key set.
    pub fn open_command(
        &self,
        view: &CommandPacketView<'_>,
        aad: &[u8],
    ) -> Result<CommandPacket, SecuredError> {
        match &self.0 {
            Keys::Aes(k) => view.open(k, aad),
            Keys::Des { .. } => {
                self.check_names(view.kic, view.kid, view.spi.ciphered, view.spi.checksum)?;
                Ok(view.open_with(&self.packet_keys(), aad)?.packet)
            }
        }
    }

    /// Seals a response packet as `security` (from the command) says.
    pub fn seal_response(
        &self,
        response: &ResponsePacket,
        security: &PorSecurity,
        aad: &[u8],
    ) -> Result<Vec<u8>, SecuredError> {
        match &self.0 {
            Keys::Aes(k) => response.seal(security, k, aad),
            Keys::Des { .. } => {
                self.check_names(security.kic, security.kid, security.ciphered, security.checksum)?;
                response.seal_with(security, &self.packet_keys(), aad)
            }
        }
    }

    /// Opens a response packet as `security` (from the command) says. A
    /// DES PoR must carry the checksum length the command asked for (8
    /// octets; a CBC-MAC truncated by RHL is refused here).
    pub fn open_response(
        &self,
        view: &ResponsePacketView<'_>,
        security: &PorSecurity,
        aad: &[u8],
    ) -> Result<ResponsePacket, SecuredError> {
        match &self.0 {
            Keys::Aes(k) => view.open(security, k, aad),
            Keys::Des { .. } => {
                self.check_names(security.kic, security.kid, security.ciphered, security.checksum)?;
                let expected = match security.checksum {
                    ChecksumKind::Cryptographic => des::DES_BLOCK_LEN,
                    _ => 0,
                };
                if view.checksum_len() != expected {
                    return Err(SecuredError::ChecksumLength { got: view.checksum_len(), expected });
                }
                Ok(view.open_with(security, &self.packet_keys(), aad)?.packet)
            }
        }
    }
}
