//! PKCS#11 return codes (`CKR_*`) by name, with what they mean and what to do.

use serde::{Deserialize, Serialize};

/// A PKCS#11 return code explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CkrExplained {
    /// The numeric value, such as `0xa0`.
    pub code: u64,
    /// The name from the PKCS#11 standard, such as `CKR_PIN_INCORRECT`.
    pub name: String,
    /// What it means, in one sentence.
    pub meaning: String,
    /// What to do about it.
    pub remedy: String,
    /// The guide section to read.
    pub guide: Option<String>,
}

/// `(code, name, meaning, remedy, guide section)`.
type Row = (u64, &'static str, &'static str, &'static str, Option<&'static str>);

const CHECK_MODULE: &str =
    "Check the module's own log and configuration; with fxpkcs11, run `fxconfig check` on the fxpkcs11.cfg it reads";
const LOGIN_USER: &str =
    "Give the token's user PIN; with fxpkcs11, check CRYPTO-OPR and CRYPTO-OPR-PASS against the KMES login user";

/// The codes a module is likely to return, in numeric order.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    (0x0, "CKR_OK", "the function succeeded", "", None),
    (0x1, "CKR_CANCEL", "the application asked to cancel the function", "Run the operation again", None),
    (0x2, "CKR_HOST_MEMORY", "the module ran out of memory on this computer", "Free memory on this computer and try again", None),
    (0x3, "CKR_SLOT_ID_INVALID", "the slot number does not exist", "List the slots (fxconfig p11 slots) and select the token by label; with fxpkcs11, check <SLOT> in fxpkcs11.cfg", Some("4.2")),
    (0x5, "CKR_GENERAL_ERROR", "the module hit an unrecoverable error", CHECK_MODULE, Some("4.2")),
    (0x6, "CKR_FUNCTION_FAILED", "the function failed without saying why", CHECK_MODULE, Some("4.2")),
    (0x7, "CKR_ARGUMENTS_BAD", "the module rejected the arguments of the call", "Report it with the module's version: fxconfig passes standard arguments", None),
    (0x9, "CKR_NEED_TO_CREATE_THREADS", "the module needs to create threads and was told it may not", "Report it with the module's version", None),
    (0xa, "CKR_CANT_LOCK", "the module cannot use the locking fxconfig asked for", "Report it with the module's version", None),
    (0x10, "CKR_ATTRIBUTE_READ_ONLY", "an attribute may not be changed", "Nothing to do for a read-only check", None),
    (0x11, "CKR_ATTRIBUTE_SENSITIVE", "the attribute is secret and cannot be read", "Expected for private keys; nothing to do", None),
    (0x12, "CKR_ATTRIBUTE_TYPE_INVALID", "the object has no such attribute", "Nothing to do: fxconfig shows what the object has", None),
    (0x13, "CKR_ATTRIBUTE_VALUE_INVALID", "an attribute value was rejected", "Report it with the module's version", None),
    (0x1b, "CKR_ACTION_PROHIBITED", "the token's policy forbids this action", "Ask the HSM administrator for the permission", Some("3.2.7")),
    (0x20, "CKR_DATA_INVALID", "the data to sign was rejected", "Report it with the module's version", None),
    (0x21, "CKR_DATA_LEN_RANGE", "the data to sign has a length the mechanism does not accept", "Report it with the module's version", None),
    (0x30, "CKR_DEVICE_ERROR", "the token or the connection to it failed", "With fxpkcs11, the KMES connection failed: run `fxconfig check` for the TLS and Host API steps", Some("3.2.10")),
    (0x31, "CKR_DEVICE_MEMORY", "the token is out of memory", "Free space on the token or HSM", None),
    (0x32, "CKR_DEVICE_REMOVED", "the token was removed or the connection to it dropped", "Reconnect the token; with fxpkcs11, check the network path to the KMES", Some("4.2")),
    (0x50, "CKR_FUNCTION_CANCELED", "the function was cancelled", "Run the operation again", None),
    (0x54, "CKR_FUNCTION_NOT_SUPPORTED", "the module does not implement this function", "Use a module that implements it, or a newer version", None),
    (0x60, "CKR_KEY_HANDLE_INVALID", "the key handle is not valid", "List the keys again: the key may have been deleted", None),
    (0x62, "CKR_KEY_SIZE_RANGE", "the key size is outside what the mechanism accepts", "Use an RSA key of 2048 bits or more, or a P-256/P-384/P-521 EC key", Some("3.2.2")),
    (0x63, "CKR_KEY_TYPE_INCONSISTENT", "the key is of the wrong type for the mechanism", "Use an RSA or EC key for SSH", Some("3.2.2")),
    (0x68, "CKR_KEY_FUNCTION_NOT_PERMITTED", "the key may not be used for signing", "Create the SSH key with the Sign usage (CKA_SIGN) on the HSM", Some("3.2.2")),
    (0x70, "CKR_MECHANISM_INVALID", "the token does not support this mechanism", "Check the token's mechanisms (fxconfig p11 info); SSH needs CKM_RSA_PKCS or CKM_SHA256_RSA_PKCS, or CKM_ECDSA", None),
    (0x71, "CKR_MECHANISM_PARAM_INVALID", "the mechanism's parameters were rejected", "Report it with the module's version", None),
    (0x82, "CKR_OBJECT_HANDLE_INVALID", "the object handle is not valid", "List the objects again: the object may have been deleted", None),
    (0x90, "CKR_OPERATION_ACTIVE", "another operation is still running in the session", "Run the operation again", None),
    (0x91, "CKR_OPERATION_NOT_INITIALIZED", "no operation was started in the session", "Report it with the module's version", None),
    (0xa0, "CKR_PIN_INCORRECT", "the PIN is wrong", "Type the user PIN again; with fxpkcs11, check CRYPTO-OPR-PASS", Some("4.2")),
    (0xa1, "CKR_PIN_INVALID", "the PIN holds characters the token does not accept", "Type the PIN again", None),
    (0xa2, "CKR_PIN_LEN_RANGE", "the PIN is too long or too short", "Type the PIN again", None),
    (0xa3, "CKR_PIN_EXPIRED", "the PIN has expired and must be changed", "Change the user's password on the token or KMES", Some("3.2.4")),
    (0xa4, "CKR_PIN_LOCKED", "the PIN is locked after too many wrong attempts", "Ask the HSM administrator to unlock the user", Some("3.2.4")),
    (0xb0, "CKR_SESSION_CLOSED", "the session was closed during the call", "Run the operation again", None),
    (0xb1, "CKR_SESSION_COUNT", "the token has too many open sessions", "Close other programs using the token and try again", None),
    (0xb3, "CKR_SESSION_HANDLE_INVALID", "the session is no longer valid", "Run the operation again", None),
    (0xb5, "CKR_SESSION_READ_ONLY", "the session is read-only", "Nothing to do for a read-only check", None),
    (0xb7, "CKR_SESSION_READ_ONLY_EXISTS", "a read-only session prevents this login", "Close other programs using the token and try again", None),
    (0xc0, "CKR_SIGNATURE_INVALID", "the signature did not verify", "The public and private key objects do not match: re-create the key pair", Some("3.2.2")),
    (0xc1, "CKR_SIGNATURE_LEN_RANGE", "the signature has the wrong length", "The public and private key objects do not match: re-create the key pair", Some("3.2.2")),
    (0xd0, "CKR_TEMPLATE_INCOMPLETE", "the object template lacks attributes", "Report it with the module's version", None),
    (0xd1, "CKR_TEMPLATE_INCONSISTENT", "the object template has conflicting attributes", "Report it with the module's version", None),
    (0xe0, "CKR_TOKEN_NOT_PRESENT", "there is no token in the slot", "Insert or initialise the token; with fxpkcs11, check <SLOT> and the KMES connection", Some("4.2")),
    (0xe1, "CKR_TOKEN_NOT_RECOGNIZED", "the module does not recognise the token", "Check the token is supported by this module", None),
    (0xe2, "CKR_TOKEN_WRITE_PROTECTED", "the token is write-protected", "Nothing to do for a read-only check", None),
    (0x100, "CKR_USER_ALREADY_LOGGED_IN", "the user is already logged in", "Nothing to do: the session can already use private keys", None),
    (0x101, "CKR_USER_NOT_LOGGED_IN", "the operation needs a logged-in user", LOGIN_USER, Some("4.2")),
    (0x102, "CKR_USER_PIN_NOT_INITIALIZED", "the user PIN was never set on the token", "Initialise the user PIN on the token (or create the KMES login user)", Some("3.2.4")),
    (0x103, "CKR_USER_TYPE_INVALID", "the user type is not valid", "Report it with the module's version", None),
    (0x104, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN", "another user is logged in to the token", "Close other programs using the token and try again", None),
    (0x105, "CKR_USER_TOO_MANY_TYPES", "too many different users are logged in", "Close other programs using the token and try again", None),
    (0x121, "CKR_RANDOM_NO_RNG", "the token has no random number generator", "Nothing to do", None),
    (0x130, "CKR_DOMAIN_PARAMS_INVALID", "the key's domain parameters were rejected", "Use a P-256, P-384 or P-521 EC key, or an RSA key", Some("3.2.2")),
    (0x140, "CKR_CURVE_NOT_SUPPORTED", "the token does not support this elliptic curve", "Use a P-256, P-384 or P-521 EC key, or an RSA key", Some("3.2.2")),
    (0x150, "CKR_BUFFER_TOO_SMALL", "an output buffer was too small", "Report it with the module's version", None),
    (0x170, "CKR_INFORMATION_SENSITIVE", "the token will not reveal this information", "Nothing to do", None),
    (0x190, "CKR_CRYPTOKI_NOT_INITIALIZED", "the module was used before C_Initialize", "Report it with the module's version", None),
    (0x191, "CKR_CRYPTOKI_ALREADY_INITIALIZED", "the module was already initialised in this process", "Run the operation again in a new process", None),
    (0x1a0, "CKR_MUTEX_BAD", "a lock passed to the module was bad", "Report it with the module's version", None),
    (0x1a1, "CKR_MUTEX_NOT_LOCKED", "a lock passed to the module was not locked", "Report it with the module's version", None),
    (0x1b7, "CKR_LIBRARY_LOAD_FAILED", "the module could not load a library it depends on", "Install the library it needs (fxconfig check --module names it); with fxpkcs11, pick the build for your OpenSSL version", Some("2.2")),
    (0x1b9, "CKR_PUBLIC_KEY_INVALID", "the public key failed validation", "Re-create or re-import the key pair", Some("3.2.2")),
    (0x200, "CKR_FUNCTION_REJECTED", "the user rejected the request", "Approve the request on the token", None),
];

/// The name, meaning and remedy of a `CKR_*` code; unknown and vendor codes are named as such.
pub fn explain(code: u64) -> CkrExplained {
    if let Some((code, name, meaning, remedy, guide)) = TABLE.iter().find(|row| row.0 == code) {
        return CkrExplained {
            code: *code,
            name: (*name).to_owned(),
            meaning: (*meaning).to_owned(),
            remedy: (*remedy).to_owned(),
            guide: guide.map(str::to_owned),
        };
    }
    let vendor = code >= 0x8000_0000;
    CkrExplained {
        code,
        name: if vendor {
            format!("CKR_VENDOR_DEFINED+{:#x}", code - 0x8000_0000)
        } else {
            format!("CKR_{code:#x}")
        },
        meaning: if vendor {
            "an error defined by the module's vendor".to_owned()
        } else {
            "a return code this version of fxconfig does not know".to_owned()
        },
        remedy: "Look the code up in the module vendor's documentation".to_owned(),
        guide: None,
    }
}

/// The numeric code of a cryptoki return value, found through the table.
#[allow(clippy::useless_conversion, reason = "CK_RV is 32 bits wide on Windows")]
pub(crate) fn code_of(error: cryptoki::error::RvError) -> u64 {
    use cryptoki::error::{Rv, RvError};
    match error {
        RvError::VendorDefined(code) | RvError::UnknownErrorCode(code) => u64::from(code),
        known => TABLE
            .iter()
            .map(|row| row.0)
            .find(|code| {
                u32::try_from(*code)
                    .ok()
                    .is_some_and(|raw| Rv::from(std::ffi::c_ulong::from(raw)) == Rv::Error(known))
            })
            .unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_and_explained() {
        let pin = explain(0xa0);
        assert_eq!(pin.name, "CKR_PIN_INCORRECT");
        assert!(!pin.remedy.is_empty());
        assert_eq!(explain(0x8000_0001).name, "CKR_VENDOR_DEFINED+0x1");
        assert_eq!(code_of(cryptoki::error::RvError::PinIncorrect), 0xa0);
        assert_eq!(code_of(cryptoki::error::RvError::UserNotLoggedIn), 0x101);
    }

    #[test]
    fn the_table_is_sorted_and_unique() {
        assert!(TABLE.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }
}
