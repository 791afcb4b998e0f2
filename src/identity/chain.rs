//! Whether the client certificate chains to the root CA file, checked the way the
//! TLS handshake checks it.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use super::ca::CaBundle;
use super::certinfo::CertInfo;
use super::error::IdentityError;
use super::pkcs12::ClientIdentity;

/// Checks that the client certificate is valid at `now_unix` for TLS client
/// authentication (clientAuth, and digitalSignature when it names key usages) and chains to
/// a certificate of `ca`.
///
/// Uses rustls-webpki with the signature algorithms of rustls' *ring* provider,
/// the intermediates from the PKCS#12 file and the CA file's certificates as
/// trust anchors, so the answer matches what a rustls server (such as the KMES
/// simulator) decides during the handshake. CA certificates that cannot serve as
/// trust anchors are skipped; if none can, the error is [`IdentityError::ChainOther`].
pub fn verify_client_chain(identity: &ClientIdentity, ca: &CaBundle, now_unix: i64) -> Result<(), IdentityError> {
    let leaf = identity.leaf();
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let end_entity = EndEntityCert::try_from(&leaf_der).map_err(IdentityError::ChainOther)?;

    let roots = ca.rustls_roots();
    let mut anchors = Vec::with_capacity(roots.len());
    let mut anchor_error = None;
    for root in &roots {
        match webpki::anchor_from_trusted_cert(root) {
            Ok(anchor) => anchors.push(anchor),
            Err(error) => {
                anchor_error.get_or_insert(error);
            }
        }
    }
    if anchors.is_empty()
        && let Some(error) = anchor_error
    {
        return Err(IdentityError::ChainOther(error));
    }

    let intermediates: Vec<CertificateDer<'_>> = identity
        .chain
        .iter()
        .skip(1)
        .map(|cert| CertificateDer::from(cert.der.as_slice()))
        .collect();
    let time = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(now_unix).unwrap_or(0)));
    let algorithms = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;

    end_entity
        .verify_for_usage(
            algorithms,
            &anchors,
            &intermediates,
            time,
            KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(|error| classify(error, identity, ca))?;
    // A key usage extension without digitalSignature (or keyAgreement, which OpenSSL's
    // X509_check_purpose also accepts for a TLS client) forbids signing the handshake:
    // servers refuse such a certificate.
    if !leaf.key_usage.is_empty()
        && !leaf
            .key_usage
            .iter()
            .any(|usage| usage == "digitalSignature" || usage == "keyAgreement")
    {
        return Err(IdentityError::ChainKeyUsageNoSignature {
            subject: leaf.subject.clone(),
            key_usage: leaf.key_usage.clone(),
        });
    }
    Ok(())
}

fn classify(error: webpki::Error, identity: &ClientIdentity, ca: &CaBundle) -> IdentityError {
    let chain = &identity.chain;
    let leaf = identity.leaf();
    let ca_subjects: Vec<String> = ca.certs.iter().map(|cert| cert.subject.clone()).collect();
    let top_issuer = chain
        .last()
        .map_or_else(|| leaf.issuer.clone(), |top| top.issuer.clone());
    #[allow(deprecated)]
    match error {
        webpki::Error::UnknownIssuer => IdentityError::ChainUnknownIssuer {
            subject: leaf.subject.clone(),
            issuer: top_issuer,
            ca_subjects,
            source: Box::new(error),
        },
        webpki::Error::InvalidSignatureForPublicKey if ca_subjects.contains(&top_issuer) => {
            IdentityError::ChainUnknownIssuer {
                subject: leaf.subject.clone(),
                issuer: top_issuer,
                ca_subjects,
                source: Box::new(error),
            }
        }
        webpki::Error::CertExpired { not_after, .. } => {
            let cert = find(chain, |cert| cert.not_after_unix == seconds(not_after)).unwrap_or(leaf);
            IdentityError::ChainExpired {
                subject: cert.subject.clone(),
                not_after: cert.not_after.clone(),
                source: error,
            }
        }
        webpki::Error::CertNotValidYet { not_before, .. } => {
            let cert = find(chain, |cert| cert.not_before_unix == seconds(not_before)).unwrap_or(leaf);
            IdentityError::ChainNotYetValid {
                subject: cert.subject.clone(),
                not_before: cert.not_before.clone(),
                source: error,
            }
        }
        webpki::Error::RequiredEkuNotFound | webpki::Error::RequiredEkuNotFoundContext(_) => {
            let cert = find(chain, |cert| {
                cert.ext_key_usage
                    .as_ref()
                    .is_some_and(|usages| !usages.iter().any(|usage| usage == "clientAuth"))
            })
            .unwrap_or(leaf);
            IdentityError::ChainMissingClientAuth {
                subject: cert.subject.clone(),
                ext_key_usage: cert.ext_key_usage.clone().unwrap_or_default(),
                source: error,
            }
        }
        other => IdentityError::ChainOther(other),
    }
}

fn find(chain: &[CertInfo], predicate: impl Fn(&CertInfo) -> bool) -> Option<&CertInfo> {
    chain.iter().find(|cert| predicate(cert))
}

fn seconds(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}
