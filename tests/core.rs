//! The library against real components: the cfg model, certificates and PKCS#12 files,
//! the Host API client and the KMES simulator, public keys, the doctor, PKCS#11 modules
//! on SoftHSM2 and an SSH login through `sshd`, and the README's tables.
//!
//! One test program built from the modules in `tests/core/`, with the helpers the programs
//! share in `tests/support/`.

pub mod support;

mod core {
    mod net;
    mod openssl_pki;

    mod architecture;
    mod capture;
    mod cfg;
    mod children;
    mod doctor;
    mod hostapi;
    mod identity;
    mod library_model;
    mod locate;
    mod pkcs11;
    mod readme;
    mod sim;
    mod ssh_agent;
    mod ssh_config;
    mod ssh_config_props;
    mod ssh_login;
    mod sshkey;
}
