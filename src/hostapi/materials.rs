//! What the TLS clients are given: the trust anchors and the optional client identity.

use std::fmt;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The trust anchors and the optional client identity for the handshake.
pub struct TlsMaterials {
    /// The root CA certificates the KMES server certificate must chain to
    /// (`PROD-TLS-CA`). Nothing else is trusted.
    pub roots: Vec<CertificateDer<'static>>,
    /// The client certificate chain (end entity first) and its private key
    /// (`PROD-TLS-KEY`), or `None` to connect without a client certificate.
    pub client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
}

impl Clone for TlsMaterials {
    fn clone(&self) -> Self {
        TlsMaterials {
            roots: self.roots.clone(),
            client: self
                .client
                .as_ref()
                .map(|(chain, key)| (chain.clone(), key.clone_key())),
        }
    }
}

impl fmt::Debug for TlsMaterials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let client = self
            .client
            .as_ref()
            .map(|(chain, _)| format!("{} certificate(s), private key {}", chain.len(), crate::secret::MASK));
        f.debug_struct("TlsMaterials")
            .field("roots", &self.roots.len())
            .field("client", &client)
            .finish()
    }
}
