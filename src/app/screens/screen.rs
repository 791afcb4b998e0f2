//! Which screen: the id of a row of [`super::SCREENS`], kept apart so that commands can name a
//! screen without depending on the screens' code.

/// One screen of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Screen {
    /// The `fxpkcs11.cfg` form, raw text and diff.
    #[default]
    Configuration,
    /// The root CA and the PKCS#12 client identity.
    Certificates,
    /// The connection doctor.
    ConnectionTest,
    /// The KMES public key as an `authorized_keys` line, and the SSH steps.
    SshKey,
    /// The step-by-step troubleshooting wizard.
    Troubleshooting,
    /// The PKCS#11 module: its tokens, keys, sign test and SSH test.
    Pkcs11Module,
    /// The SSH client: the `Host` block of ssh_config, daily commands, the agent.
    SshClient,
}
