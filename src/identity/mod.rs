//! The TLS materials of the guide's [3.1]: the root CA certificate exported from
//! the KMES ([3.1.4], PEM) and the PKCS#12 client identity of the PKCS #11
//! library ([3.1.7], `export_pkcs12.p12` with a password).
//!
//! - [`load_ca`] / [`parse_ca`] read the CA file into a [`CaBundle`];
//! - [`load_p12`] / [`parse_p12`] open the PKCS#12 file into a [`ClientIdentity`],
//!   checking that the private key belongs to the client certificate;
//! - [`verify_client_chain`] checks the client chain against the CA file the way
//!   the TLS handshake does;
//! - [`copy_materials`] puts both files into the client's configuration folder.
//!
//! Every failure is an [`IdentityError`] with a remedy and a guide section
//! (see [`crate::remedy::Explain`]). Private keys and passwords never appear in
//! messages, `Debug` output or JSON.

mod ca;
mod certinfo;
mod chain;
pub(crate) mod der;
mod error;
mod materials;
mod pkcs12;
pub(crate) mod scan;

pub use ca::{CaBundle, LibraryReading, library_reading, load_ca, load_library_reading, parse_ca};
pub use certinfo::{CertInfo, Validity};
pub use chain::verify_client_chain;
pub use error::{IdentityError, Material};
pub use materials::{CopiedMaterials, PlannedCopy, StagedMaterials, copy_materials, plan_materials, stage_materials};
pub use pkcs12::{ClientIdentity, P12_TIME_LIMIT, load_p12, load_p12_within, parse_p12};
