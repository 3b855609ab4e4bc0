//! Actor key pairs (RSA-2048: PKCS#8 private PEM, SPKI public PEM), made once and
//! stored: regenerating keys on restart would break every peer's cached copy.

pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

/// A new key pair (aws-lc-rs; tens of milliseconds, so call it outside transactions).
pub fn generate() -> KeyPair {
    let (private_pem, public_pem) = weft_protocol::httpsig::generate_key_pair();
    KeyPair {
        private_pem,
        public_pem,
    }
}
