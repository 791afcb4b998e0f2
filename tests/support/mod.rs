//! The helpers the three test programs share: the test PKI and its guide-layout
//! configuration (`lab`), PKCS#12 files as older exporters write them (`p12`), the KMES
//! simulator on the lab (`sim`), loopback peers (`net`), a SoftHSM2 token (`softhsm`), an `sshd` on loopback (`sshd`), a fake
//! fxpkcs11 tarball with real module builds (`tarball`), and running `fxconfig` and the reference tools (`tools`).
//!
//! Each program declares it as `pub mod support;`: it is their common library, and each
//! uses the part it needs. Helpers that serve one program live in that program's folder.

pub mod lab;
pub mod net;
pub mod p12;
pub mod sim;
pub mod softhsm;
pub mod sshd;
pub mod tarball;
pub mod tools;
