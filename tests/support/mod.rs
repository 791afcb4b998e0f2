//! The helpers the three test programs share: the test PKI and its guide-layout
//! configuration (`lab`), the KMES simulator on it (`sim`), a SoftHSM2 token (`softhsm`),
//! and running `fxconfig` and the reference tools (`tools`).
//!
//! Each program declares it as `pub mod support;`: it is their common library, and each
//! uses the part it needs. Helpers that serve one program live in that program's folder.

pub mod lab;
pub mod sim;
pub mod softhsm;
pub mod tools;
