//! Talking to a loaded module through the `cryptoki` crate: library information,
//! slots and tokens, mechanisms, objects, public keys as `authorized_keys` lines,
//! login and the sign-and-verify test.
//!
//! This module is the walk itself; [`report`] holds the plain data it returns, and
//! [`verify`] checks the test signatures in software.
//!
//! Loading runs the module's code in this process, and the module reads its
//! environment (`FXPKCS11_CFG`) when it initialises. Front ends therefore call
//! these through [`super::probe`], which runs them in a child process with the
//! environment set; the `fxconfig p11` command is that child.

mod report;
mod verify;

pub use report::{
    LibraryInfo, LoginState, MechanismReport, ObjectReport, PublicKeyLine, SignTest, SlotReport, TokenReport,
};

use std::path::{Path, PathBuf};
use std::time::Instant;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use ssh_key::public::{EcdsaPublicKey, KeyData, RsaPublicKey};

use self::verify::{ecdsa_digest_for, sha256_digest_info, verify};
use super::{Failure, Pkcs11Error};
use crate::Secret;
use crate::identity::der::NamedCurve;

/// The attributes read from a public key object: what identifies it, and its key material
/// (RSA modulus and exponent, or EC parameters and point).
const PUBLIC_KEY_ATTRIBUTES: &[AttributeType] = &[
    AttributeType::Id,
    AttributeType::KeyType,
    AttributeType::Label,
    AttributeType::Modulus,
    AttributeType::PublicExponent,
    AttributeType::EcParams,
    AttributeType::EcPoint,
];

/// The most objects listed or keys tested on one token.
const MAX_OBJECTS: usize = 1024;
/// The most private keys given the sign test.
const MAX_SIGN_TESTS: usize = 16;

/// A loaded and initialised module.
pub struct Module {
    context: Pkcs11,
    path: PathBuf,
}

fn text(value: &[u8]) -> String {
    String::from_utf8_lossy(value)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Module {
    /// Loads the library and calls `C_Initialize` (OS locking allowed).
    ///
    /// This runs the module's code in the calling process: see the module docs.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Load`] when the loader refuses the file or it has no
    /// `C_GetFunctionList`; [`Pkcs11Error::Ckr`] when `C_Initialize` fails.
    pub fn load(path: &Path) -> Result<Module, Pkcs11Error> {
        let context = Pkcs11::new(path).map_err(|source| Pkcs11Error::Load {
            path: path.to_path_buf(),
            source,
        })?;
        context
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| Pkcs11Error::from_cryptoki("initialising the module", e))?;
        Ok(Module {
            context,
            path: path.to_path_buf(),
        })
    }

    /// `C_GetInfo`.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from the module.
    pub fn info(&self) -> Result<LibraryInfo, Pkcs11Error> {
        let info = self
            .context
            .get_library_info()
            .map_err(|e| Pkcs11Error::from_cryptoki("reading the library information", e))?;
        Ok(LibraryInfo {
            path: self.path.clone(),
            cryptoki_version: info.cryptoki_version().to_string(),
            manufacturer: info.manufacturer_id().trim().to_owned(),
            description: info.library_description().trim().to_owned(),
            library_version: info.library_version().to_string(),
        })
    }

    /// Every slot, with its token when one is present, in the module's order.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from `C_GetSlotList`, `C_GetSlotInfo` or `C_GetTokenInfo`.
    pub fn slots(&self) -> Result<Vec<SlotReport>, Pkcs11Error> {
        let slots = self
            .context
            .get_all_slots()
            .map_err(|e| Pkcs11Error::from_cryptoki("listing the slots", e))?;
        slots.into_iter().map(|slot| self.slot_report(slot)).collect()
    }

    fn slot_report(&self, slot: Slot) -> Result<SlotReport, Pkcs11Error> {
        let info = self
            .context
            .get_slot_info(slot)
            .map_err(|e| Pkcs11Error::from_cryptoki("reading a slot", e))?;
        let token = if info.token_present() {
            let token = self
                .context
                .get_token_info(slot)
                .map_err(|e| Pkcs11Error::from_cryptoki("reading a token", e))?;
            let named: [(bool, &str); 10] = [
                (token.rng(), "rng"),
                (token.write_protected(), "write protected"),
                (token.login_required(), "login required"),
                (token.user_pin_initialized(), "PIN initialized"),
                (token.protected_authentication_path(), "protected authentication path"),
                (token.token_initialized(), "token initialized"),
                (token.user_pin_count_low(), "user PIN count low"),
                (token.user_pin_final_try(), "user PIN final try"),
                (token.user_pin_locked(), "user PIN locked"),
                (token.user_pin_to_be_changed(), "user PIN to be changed"),
            ];
            Some(TokenReport {
                label: token.label().trim_end().to_owned(),
                manufacturer: token.manufacturer_id().trim().to_owned(),
                model: token.model().trim().to_owned(),
                serial: token.serial_number().trim().to_owned(),
                initialized: token.token_initialized(),
                login_required: token.login_required(),
                protected_authentication_path: token.protected_authentication_path(),
                user_pin_locked: token.user_pin_locked(),
                flags: named
                    .iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, name)| (*name).to_owned())
                    .collect(),
            })
        } else {
            None
        };
        Ok(SlotReport {
            id: slot.id(),
            description: info.slot_description().trim().to_owned(),
            manufacturer: info.manufacturer_id().trim().to_owned(),
            token,
        })
    }

    /// The slot of the token labelled `label`, or of the first initialised token.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::TokenNotFound`] naming the labels present, [`Pkcs11Error::NoToken`].
    pub fn select_token(&self, label: Option<&str>) -> Result<SlotReport, Pkcs11Error> {
        let slots = self.slots()?;
        let with_token: Vec<&SlotReport> = slots
            .iter()
            .filter(|s| s.token.as_ref().is_some_and(|t| t.initialized))
            .collect();
        let found = match label {
            Some(wanted) => with_token
                .iter()
                .find(|s| s.token.as_ref().is_some_and(|t| t.label == wanted.trim_end())),
            None => with_token.first(),
        };
        match (found, label) {
            (Some(slot), _) => Ok((*slot).clone()),
            (None, Some(wanted)) => Err(Pkcs11Error::TokenNotFound {
                label: wanted.to_owned(),
                available: with_token
                    .iter()
                    .filter_map(|s| s.token.as_ref().map(|t| t.label.clone()))
                    .collect(),
            }),
            (None, None) => Err(Pkcs11Error::NoToken),
        }
    }

    /// The mechanisms of the token in `slot`, with what each can do.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from `C_GetMechanismList` or `C_GetMechanismInfo`.
    pub fn mechanisms(&self, slot: u64) -> Result<Vec<MechanismReport>, Pkcs11Error> {
        let slot = to_slot(slot)?;
        let list = self
            .context
            .get_mechanism_list(slot)
            .map_err(|e| Pkcs11Error::from_cryptoki("listing the mechanisms", e))?;
        let mut reports = Vec::new();
        for mechanism in list {
            let info = self
                .context
                .get_mechanism_info(slot, mechanism)
                .map_err(|e| Pkcs11Error::from_cryptoki("reading a mechanism", e))?;
            let named: [(bool, &str); 10] = [
                (info.encrypt(), "encrypt"),
                (info.decrypt(), "decrypt"),
                (info.digest(), "digest"),
                (info.sign(), "sign"),
                (info.verify(), "verify"),
                (info.generate(), "generate"),
                (info.generate_key_pair(), "generate_key_pair"),
                (info.wrap(), "wrap"),
                (info.unwrap(), "unwrap"),
                (info.derive(), "derive"),
            ];
            reports.push(MechanismReport {
                name: mechanism.to_string(),
                min_key_size: info.min_key_size() as u64,
                max_key_size: info.max_key_size() as u64,
                functions: named
                    .iter()
                    .filter(|(set, _)| *set)
                    .map(|(_, name)| (*name).to_owned())
                    .collect(),
            });
        }
        Ok(reports)
    }

    /// Opens a read-only session on the token in `slot` and logs the user in
    /// with `pin` when the token asks for a login. The PIN is handed to the
    /// module and not kept.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from `C_OpenSession` or `C_Login` (such as `CKR_PIN_INCORRECT`).
    pub fn open(&self, slot: u64, pin: Option<&Secret>) -> Result<TokenSession, Pkcs11Error> {
        let slot_handle = to_slot(slot)?;
        let token = self
            .context
            .get_token_info(slot_handle)
            .map_err(|e| Pkcs11Error::from_cryptoki("reading the token", e))?;
        let session = self
            .context
            .open_ro_session(slot_handle)
            .map_err(|e| Pkcs11Error::from_cryptoki("opening a session", e))?;
        let login = match (token.login_required(), pin) {
            (false, _) => LoginState::NotRequired,
            (true, None) => LoginState::NoPin,
            (true, Some(pin)) => {
                let auth = AuthPin::from(pin.expose().to_owned());
                match session.login(UserType::User, Some(&auth)) {
                    Ok(()) => LoginState::LoggedIn,
                    Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {
                        LoginState::LoggedIn
                    }
                    Err(e) => return Err(Pkcs11Error::from_cryptoki("logging in", e)),
                }
            }
        };
        let mechanisms = self.context.get_mechanism_list(slot_handle).unwrap_or_default();
        Ok(TokenSession {
            session,
            slot,
            token_label: token.label().trim_end().to_owned(),
            login,
            mechanisms,
        })
    }

    /// The public keys of every initialised token (or only the one labelled
    /// `token`) as `authorized_keys` lines, in the order `ssh-keygen -D` prints them:
    /// slot by slot, public key objects then certificates, duplicates dropped.
    ///
    /// Objects that OpenSSH cannot use (other key types, RSA under 1024 bits)
    /// are left out, as `ssh-keygen -D` leaves them out.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from the module, [`Pkcs11Error::TokenNotFound`].
    pub fn public_keys(&self, token: Option<&str>) -> Result<Vec<PublicKeyLine>, Pkcs11Error> {
        let slots: Vec<SlotReport> = match token {
            Some(_) => vec![self.select_token(token)?],
            None => self
                .context
                .get_slots_with_token()
                .map_err(|e| Pkcs11Error::from_cryptoki("listing the slots", e))?
                .into_iter()
                .map(|slot| self.slot_report(slot))
                .collect::<Result<_, _>>()?,
        };
        let mut lines: Vec<PublicKeyLine> = Vec::new();
        for slot in slots {
            if !slot.token.as_ref().is_some_and(|t| t.initialized) {
                continue;
            }
            let session = self.open(slot.id, None)?;
            for line in session.public_keys()? {
                if !lines.iter().any(|l| same_key(&l.line, &line.line)) {
                    lines.push(line);
                }
            }
        }
        Ok(lines)
    }

    /// Calls `C_Finalize`; errors are ignored, as the module is being let go.
    pub fn finalize(self) {
        let _ = self.context.finalize();
    }
}

/// Whether two lines hold the same key (their comments may differ).
fn same_key(a: &str, b: &str) -> bool {
    let key = |line: &str| line.split(' ').take(2).collect::<Vec<_>>().join(" ");
    key(a) == key(b)
}

fn to_slot(id: u64) -> Result<Slot, Pkcs11Error> {
    Slot::try_from(id).map_err(|e| Pkcs11Error::from_cryptoki("selecting the slot", e))
}

/// An open session on one token.
pub struct TokenSession {
    session: Session,
    slot: u64,
    token_label: String,
    login: LoginState,
    mechanisms: Vec<MechanismType>,
}

/// The attributes read from a key object.
struct KeyAttributes {
    label: String,
    id: Vec<u8>,
    key_type: Option<KeyType>,
    modulus: Option<Vec<u8>>,
    exponent: Option<Vec<u8>>,
    modulus_bits: Option<u64>,
    ec_params: Option<Vec<u8>>,
    ec_point: Option<Vec<u8>>,
    value_len: Option<u64>,
    can_sign: Option<bool>,
    certificate_type: Option<CertificateType>,
    value: Option<Vec<u8>>,
}

impl TokenSession {
    /// How the login went.
    pub fn login_state(&self) -> LoginState {
        self.login
    }

    fn find(&self, class: Option<ObjectClass>) -> Result<Vec<ObjectHandle>, Pkcs11Error> {
        let template: Vec<Attribute> = class.map(Attribute::Class).into_iter().collect();
        let mut handles = self
            .session
            .find_objects(&template)
            .map_err(|e| Pkcs11Error::from_cryptoki("searching the token's objects", e))?;
        handles.truncate(MAX_OBJECTS);
        Ok(handles)
    }

    // CK_ULONG is 64-bit on Linux but 32-bit on Windows, so `u64::from` is needed there.
    #[allow(clippy::useless_conversion)]
    fn attributes(&self, handle: ObjectHandle, wanted: &[AttributeType]) -> Result<KeyAttributes, Pkcs11Error> {
        let values = self
            .session
            .get_attributes(handle, wanted)
            .map_err(|e| Pkcs11Error::from_cryptoki("reading an object's attributes", e))?;
        let mut attrs = KeyAttributes {
            label: String::new(),
            id: Vec::new(),
            key_type: None,
            modulus: None,
            exponent: None,
            modulus_bits: None,
            ec_params: None,
            ec_point: None,
            value_len: None,
            can_sign: None,
            certificate_type: None,
            value: None,
        };
        for value in values {
            match value {
                Attribute::Label(label) => attrs.label = text(&label),
                Attribute::Id(id) => attrs.id = id,
                Attribute::KeyType(key_type) => attrs.key_type = Some(key_type),
                Attribute::Modulus(modulus) => attrs.modulus = Some(modulus),
                Attribute::PublicExponent(exponent) => attrs.exponent = Some(exponent),
                Attribute::ModulusBits(bits) => attrs.modulus_bits = Some(u64::from(*bits)),
                Attribute::EcParams(params) => attrs.ec_params = Some(params),
                Attribute::EcPoint(point) => attrs.ec_point = Some(point),
                Attribute::ValueLen(len) => attrs.value_len = Some(u64::from(*len)),
                Attribute::Sign(sign) => attrs.can_sign = Some(sign),
                Attribute::CertificateType(kind) => attrs.certificate_type = Some(kind),
                Attribute::Value(value) => attrs.value = Some(value),
                _ => {}
            }
        }
        Ok(attrs)
    }

    /// Every object visible in the session (public ones only before a login).
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from `C_FindObjects` or `C_GetAttributeValue`.
    pub fn objects(&self) -> Result<Vec<ObjectReport>, Pkcs11Error> {
        let mut reports = Vec::new();
        for handle in self.find(None)? {
            let class = self
                .session
                .get_attributes(handle, &[AttributeType::Class])
                .map_err(|e| Pkcs11Error::from_cryptoki("reading an object's class", e))?
                .into_iter()
                .find_map(|a| match a {
                    Attribute::Class(class) => Some(class),
                    _ => None,
                });
            let wanted: &[AttributeType] = match class {
                Some(ObjectClass::PUBLIC_KEY) => &[
                    AttributeType::Label,
                    AttributeType::Id,
                    AttributeType::KeyType,
                    AttributeType::ModulusBits,
                    AttributeType::Modulus,
                    AttributeType::EcParams,
                ],
                Some(ObjectClass::PRIVATE_KEY) => &[
                    AttributeType::Label,
                    AttributeType::Id,
                    AttributeType::KeyType,
                    AttributeType::Modulus,
                    AttributeType::EcParams,
                    AttributeType::Sign,
                ],
                Some(ObjectClass::SECRET_KEY) => &[
                    AttributeType::Label,
                    AttributeType::Id,
                    AttributeType::KeyType,
                    AttributeType::ValueLen,
                ],
                Some(ObjectClass::CERTIFICATE) => &[
                    AttributeType::Label,
                    AttributeType::Id,
                    AttributeType::CertificateType,
                    AttributeType::Value,
                ],
                _ => &[AttributeType::Label, AttributeType::Id],
            };
            let attrs = self.attributes(handle, wanted)?;
            reports.push(object_report(class, &attrs));
        }
        Ok(reports)
    }

    /// The token's public keys as `authorized_keys` lines, as [`Module::public_keys`] describes.
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] from the module.
    pub fn public_keys(&self) -> Result<Vec<PublicKeyLine>, Pkcs11Error> {
        let mut lines: Vec<PublicKeyLine> = Vec::new();
        for handle in self.find(Some(ObjectClass::PUBLIC_KEY))? {
            let attrs = self.attributes(handle, PUBLIC_KEY_ATTRIBUTES)?;
            if let Some(line) = self.line_for(&attrs, ssh_key_data(&attrs), &attrs.label, false)
                && !lines.iter().any(|l| same_key(&l.line, &line.line))
            {
                lines.push(line);
            }
        }
        for handle in self.find(Some(ObjectClass::CERTIFICATE))? {
            let attrs = self.attributes(
                handle,
                &[
                    AttributeType::Id,
                    AttributeType::Label,
                    AttributeType::CertificateType,
                    AttributeType::Value,
                ],
            )?;
            if attrs.certificate_type != Some(CertificateType::X_509) {
                continue;
            }
            let Some(der) = &attrs.value else { continue };
            let Ok(report) = crate::sshkey::render(der, None) else {
                continue;
            };
            let key = ssh_key::PublicKey::from_openssh(&report.line)
                .ok()
                .map(|k| k.key_data().clone());
            // OpenSSH names a certificate's key by the certificate's subject, not by CKA_LABEL.
            let comment = super::subject::openssh_subject(der).unwrap_or_default();
            if let Some(line) = self.line_for(&attrs, key, &comment, true)
                && !lines.iter().any(|l| same_key(&l.line, &line.line))
            {
                lines.push(line);
            }
        }
        Ok(lines)
    }

    /// Renders one key the way `ssh-keygen -D` does: the key, then a space and
    /// the comment when it is not empty (the label of a key object, the subject of a
    /// certificate).
    fn line_for(
        &self,
        attrs: &KeyAttributes,
        key: Option<KeyData>,
        comment: &str,
        from_certificate: bool,
    ) -> Option<PublicKeyLine> {
        let key = key?;
        let bare = ssh_key::PublicKey::new(key, "").to_openssh().ok()?;
        let report = crate::sshkey::render(bare.as_bytes(), None).ok()?;
        let line = if comment.is_empty() {
            report.line.clone()
        } else {
            format!("{} {comment}", report.line)
        };
        Some(PublicKeyLine {
            slot: self.slot,
            token: self.token_label.clone(),
            label: attrs.label.clone(),
            id: hex(&attrs.id),
            line,
            fingerprint: report.fingerprint,
            key_type: report.key_type,
            bits: report.bits,
            from_certificate,
        })
    }

    /// Signs a fresh random message with each private key that may sign (up to
    /// 16) and verifies the signature in software with the public key object of
    /// the same `CKA_ID`: RSA with `CKM_SHA256_RSA_PKCS` (or `CKM_RSA_PKCS` over
    /// a SHA-256 DigestInfo, as OpenSSH does, when the token lacks it), ECDSA
    /// with `CKM_ECDSA` over the SHA-256 digest (SHA-512 for P-521).
    ///
    /// # Errors
    ///
    /// [`Pkcs11Error::Ckr`] when the keys cannot be listed; a failure of one key
    /// is recorded in its [`SignTest`].
    pub fn sign_test(&self) -> Result<Vec<SignTest>, Pkcs11Error> {
        let public: Vec<KeyAttributes> = self
            .find(Some(ObjectClass::PUBLIC_KEY))?
            .into_iter()
            .map(|handle| self.attributes(handle, PUBLIC_KEY_ATTRIBUTES))
            .collect::<Result<_, _>>()?;
        let mut tests = Vec::new();
        for handle in self.find(Some(ObjectClass::PRIVATE_KEY))? {
            if tests.len() >= MAX_SIGN_TESTS {
                break;
            }
            let attrs = self.attributes(
                handle,
                &[
                    AttributeType::Id,
                    AttributeType::KeyType,
                    AttributeType::Label,
                    AttributeType::Sign,
                ],
            )?;
            let Some(key_type) = attrs.key_type else { continue };
            if (key_type != KeyType::RSA && key_type != KeyType::EC) || attrs.can_sign == Some(false) {
                continue;
            }
            let partner = public.iter().find(|p| p.id == attrs.id && p.key_type == Some(key_type));
            tests.push(self.sign_one(handle, &attrs, key_type, partner));
        }
        Ok(tests)
    }

    fn sign_one(
        &self,
        handle: ObjectHandle,
        attrs: &KeyAttributes,
        key_type: KeyType,
        partner: Option<&KeyAttributes>,
    ) -> SignTest {
        let mut message = [0u8; 32];
        let rng = ring::rand::SystemRandom::new();
        let _ = ring::rand::SecureRandom::fill(&rng, &mut message);
        let rsa = key_type == KeyType::RSA;
        let use_sha256_rsa = self.mechanisms.contains(&MechanismType::SHA256_RSA_PKCS);
        let (mechanism, input, mechanism_name) = if rsa && use_sha256_rsa {
            (Mechanism::Sha256RsaPkcs, message.to_vec(), "CKM_SHA256_RSA_PKCS")
        } else if rsa {
            (Mechanism::RsaPkcs, sha256_digest_info(&message), "CKM_RSA_PKCS")
        } else {
            let curve_params = partner
                .and_then(|p| p.ec_params.as_deref())
                .or(attrs.ec_params.as_deref());
            let digest = ring::digest::digest(ecdsa_digest_for(curve_params), &message);
            (Mechanism::Ecdsa, digest.as_ref().to_vec(), "CKM_ECDSA")
        };
        let mut test = SignTest {
            label: attrs.label.clone(),
            id: hex(&attrs.id),
            key_type: if rsa { "RSA" } else { "EC" }.to_owned(),
            mechanism: mechanism_name.to_owned(),
            signature_len: 0,
            verified: false,
            failure: None,
            sign_ms: 0,
        };
        let started = Instant::now();
        let signed = self.session.sign(&mechanism, handle, &input);
        test.sign_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let signature = match signed {
            Ok(signature) => signature,
            Err(e) => {
                test.failure = Some(Failure::from(&Pkcs11Error::from_cryptoki("signing", e)));
                return test;
            }
        };
        test.signature_len = signature.len();
        let Some(public) = partner else {
            test.failure = Some(local_failure(
                "signed, but there is no public key object with the same CKA_ID to verify with; ssh finds keys through their public key objects",
                "Create or import the public key object next to the private key, with the same CKA_ID",
            ));
            return test;
        };
        match verify(public, rsa, &message, &signature) {
            Ok(()) => test.verified = true,
            Err(reason) => {
                test.failure = Some(local_failure(
                    &reason,
                    "The private key and the public key object of the same CKA_ID do not form a pair: re-create or re-import the key pair",
                ))
            }
        }
        test
    }
}

fn local_failure(message: &str, remedy: &str) -> Failure {
    Failure {
        message: message.to_owned(),
        remedy: remedy.to_owned(),
        guide: Some("3.2.2".to_owned()),
        ckr: None,
    }
}

/// The curve of an EC key object that OpenSSH can use, from its `CKA_EC_PARAMS`.
fn ssh_curve(attrs: &KeyAttributes) -> Option<NamedCurve> {
    NamedCurve::from_parameters(attrs.ec_params.as_deref()?).filter(|curve| curve.ssh.is_some())
}

/// The SSH key data of an RSA or EC public key object.
fn ssh_key_data(attrs: &KeyAttributes) -> Option<KeyData> {
    match attrs.key_type? {
        KeyType::RSA => {
            let e = ssh_key::Mpint::from_positive_bytes(attrs.exponent.as_deref()?).ok()?;
            let n = ssh_key::Mpint::from_positive_bytes(attrs.modulus.as_deref()?).ok()?;
            Some(KeyData::Rsa(RsaPublicKey { e, n }))
        }
        KeyType::EC => {
            let size = ssh_curve(attrs)?.coordinate_len();
            let point = unwrap_octet_string(attrs.ec_point.as_deref()?, 2 * size + 1);
            EcdsaPublicKey::from_sec1_bytes(point).ok().map(KeyData::Ecdsa)
        }
        _ => None,
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING holding the point; some modules give the raw point.
fn unwrap_octet_string(value: &[u8], point_len: usize) -> &[u8] {
    if value.len() == point_len && value.first() == Some(&0x04) {
        return value;
    }
    match value {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() && *len < 0x80 => rest,
        [0x04, 0x81, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        _ => value,
    }
}

fn object_report(class: Option<ObjectClass>, attrs: &KeyAttributes) -> ObjectReport {
    let class_name = match class {
        Some(ObjectClass::PUBLIC_KEY) => "public key".to_owned(),
        Some(ObjectClass::PRIVATE_KEY) => "private key".to_owned(),
        Some(ObjectClass::SECRET_KEY) => "secret key".to_owned(),
        Some(ObjectClass::CERTIFICATE) => "certificate".to_owned(),
        Some(ObjectClass::DATA) => "data".to_owned(),
        Some(other) => other.to_string(),
        None => "unknown".to_owned(),
    };
    let key_type = attrs.key_type.map(|k| match k {
        KeyType::RSA => "RSA".to_owned(),
        KeyType::EC => "EC".to_owned(),
        KeyType::AES => "AES".to_owned(),
        KeyType::DES3 => "DES3".to_owned(),
        KeyType::GENERIC_SECRET => "generic secret".to_owned(),
        other => other.to_string().trim_start_matches("CKK_").to_owned(),
    });
    let bits = match attrs.key_type {
        Some(KeyType::RSA) => attrs.modulus_bits.and_then(|b| u32::try_from(b).ok()).or_else(|| {
            attrs
                .modulus
                .as_ref()
                .and_then(|n| u32::try_from(n.iter().skip_while(|b| **b == 0).count() * 8).ok())
        }),
        Some(KeyType::EC) => attrs
            .ec_params
            .as_deref()
            .and_then(NamedCurve::from_parameters)
            .map(|curve| curve.bits),
        Some(_) => attrs.value_len.and_then(|len| u32::try_from(len * 8).ok()),
        None => None,
    };
    let subject = attrs
        .value
        .as_deref()
        .and_then(|der| crate::identity::CertInfo::from_der(der).ok().map(|info| info.subject));
    ObjectReport {
        class: class_name,
        label: attrs.label.clone(),
        id: hex(&attrs.id),
        key_type,
        bits,
        can_sign: if class == Some(ObjectClass::PRIVATE_KEY) {
            attrs.can_sign
        } else {
            None
        },
        subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_points_are_unwrapped_from_their_octet_string() {
        let mut point = vec![0x04u8];
        point.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 65];
        wrapped.extend(&point);
        assert_eq!(unwrap_octet_string(&wrapped, 65), point.as_slice());
        assert_eq!(unwrap_octet_string(&point, 65), point.as_slice());
    }
}
