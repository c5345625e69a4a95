//! Key material for tests only. Generated with `openssl genpkey`; never used outside tests.

/// Ed25519 key "a", the issuer's main signing key.
pub const ED25519_A_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIDBmCZ4HyO03BoKAAvelkg05kV5Jfd9HmOP/etd7G6cC
-----END PRIVATE KEY-----
";
/// Public half of key "a" as the base64url `x` of an OKP JWK.
pub const ED25519_A_X: &str = "2xZAStNwtFrO_QCsLzkz6oG4kKmrLFmjWqovlOwukoI";

/// Ed25519 key "b": a second key, used for rotation and forged-signature tests.
pub const ED25519_B_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIs24l5v4GuWMsVkeKYzyu1HqMVlwunuYRMoklABJNt9
-----END PRIVATE KEY-----
";
/// Public half of key "b".
pub const ED25519_B_X: &str = "O4DCPjWMZwWCULjyrWfLexbm5hcpZNZYuQlFVCSH7eQ";

/// EC P-256 key (PKCS#8) for ES256 tests.
pub const P256_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWps2rnlOR/wu2qC3
27lCHWTnnXDu9Mh8ftS3ac/qH5ChRANCAAS32LkdGDnUrkY44jXiky/I9qrUL3QC
oltKAFkE3MHlN9+4lI/dYda0cL+7+AvgmtyAaSGJPmCc55YzSYWpIWL/
-----END PRIVATE KEY-----
";
/// Public P-256 point of [`P256_PRIVATE_PEM`], base64url `x` and `y`.
pub const P256_X: &str = "t9i5HRg51K5GOOI14pMvyPaq1C90AqJbSgBZBNzB5Tc";
pub const P256_Y: &str = "37iUj91h1rRwv7v4C-Ca3IBpIYk-YJznljNJhakhYv8";

/// An OKP (Ed25519) JWK with key id `kid`.
pub fn ed25519_jwk(kid: &str, x: &str) -> serde_json::Value {
    serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"})
}

/// An EC P-256 JWK without `alg`, so the algorithm must be inferred from the curve.
pub fn p256_jwk(kid: &str) -> serde_json::Value {
    serde_json::json!({"kty": "EC", "crv": "P-256", "x": P256_X, "y": P256_Y, "kid": kid})
}
