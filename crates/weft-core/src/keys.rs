//! Actor key pairs (RSA-2048, PKCS#8 PEM), made once and stored: regenerating keys on
//! restart would break every peer's cached copy.

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

pub struct KeyPair {
    pub private_pem: String,
    pub public_pem: String,
}

pub fn generate() -> KeyPair {
    let mut rng = rand::thread_rng();
    let private = RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
    let public = RsaPublicKey::from(&private);
    KeyPair {
        private_pem: private
            .to_pkcs8_pem(LineEnding::LF)
            .expect("encode private key")
            .to_string(),
        public_pem: public
            .to_public_key_pem(LineEnding::LF)
            .expect("encode public key"),
    }
}
