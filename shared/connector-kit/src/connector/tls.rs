//! The rustls configuration under [`super::base_http_client`]: what reqwest's
//! default (`rustls` + platform verifier) builds, except that the platform's
//! root certificates are read on the first HTTPS handshake instead of when a
//! client is built.
//!
//! reqwest builds `rustls_platform_verifier::Verifier::new` in
//! `ClientBuilder::build`, which on Linux reads the CA bundle and every file in
//! `/etc/ssl/certs` (≈ 150 files, several ms and ~1 MiB of heap) per client —
//! at start-up, twice, for connectors whose upstream is plain HTTP or never
//! called. Here one verifier is created per process, when first needed.

use std::sync::{Arc, LazyLock, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The TLS configuration for a new client: shares the process-wide verifier,
/// so the roots are loaded at most once.
pub(super) fn client_config() -> rustls::ClientConfig {
    static CONFIG: LazyLock<rustls::ClientConfig> = LazyLock::new(build_config);
    CONFIG.clone()
}

fn build_config() -> rustls::ClientConfig {
    // As reqwest: a process default provider if one is installed, else aws-lc-rs.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = Arc::new(LazyPlatformVerifier::new(provider.clone()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .expect("the default provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // What reqwest sets for its own rustls config (HTTP/2 feature on).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// `rustls_platform_verifier::Verifier`, created on first use.
#[derive(Debug)]
struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn new(provider: Arc<CryptoProvider>) -> Self {
        LazyPlatformVerifier {
            provider,
            inner: OnceLock::new(),
        }
    }

    fn get(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| {
                let verifier = rustls_platform_verifier::Verifier::new(self.provider.clone());
                if let Err(e) = &verifier {
                    tracing::error!("cannot load the platform's TLS root certificates: {e}");
                }
                verifier
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    /// Asked when the ClientHello is written, before any certificate is seen:
    /// answered from the provider (as the inner WebPKI verifier would) so that
    /// building the hello does not load the roots.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roots_wait_for_the_first_handshake() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let lazy = LazyPlatformVerifier::new(provider.clone());
        assert!(!lazy.supported_verify_schemes().is_empty());
        assert!(lazy.inner.get().is_none(), "no roots read for the hello");
        let _ = lazy.get();
        assert!(lazy.inner.get().is_some());
    }

    #[test]
    fn the_config_matches_reqwest_defaults() {
        let config = client_config();
        assert_eq!(
            config.alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(config.enable_sni);
        // Clients built with it are accepted by reqwest (a foreign rustls
        // version would make `build` fail with "Unknown TLS backend").
        super::super::base_http_client();
    }
}
