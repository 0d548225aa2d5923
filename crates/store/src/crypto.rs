//! Encryption at rest for personal data and secrets (TOTP secrets, customers' email and
//! phone, channel identities, caller numbers, notice recipients).
//!
//! - **AEAD**: XChaCha20-Poly1305 (RustCrypto), a random 192-bit nonce per value (random
//!   nonces of that size never collide in practice). The associated data names the
//!   table, column, row and key id, so a ciphertext moved to another row or column, or
//!   relabelled with another key id, fails to decrypt like a tampered one.
//! - **Stored form**: `pdenc1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>` in the
//!   same `TEXT` column that held the plain value (portable on both backends). The key id
//!   lets `paydesk keys rotate` find values under old keys and lets a node read them
//!   while both keys are configured.
//! - **Blind index**: HMAC-SHA256 under a separate index key, truncated to 128 bits, for
//!   the lookups that need equality (sign-in by email or phone, caller matching, contact
//!   upsert, uniqueness). It does not change with data-key rotation, so lookups keep
//!   working while values are re-encrypted.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, Payload};
use domain::repo::RepoError;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Prefix of every stored ciphertext.
pub const PREFIX: &str = "pdenc1:";
/// Key id of the public development key (demo data and tests; refused in production).
pub const DEVELOPMENT_KEY_ID: &str = "dev";
/// The public development data key: in the source code, so it protects nothing. Public
/// so that a development database can be rotated onto a real key (`paydesk keys rotate`
/// with it configured as `dev`).
pub const DEVELOPMENT_DATA_KEY: [u8; 32] = *b"paydesk development data key 32b";
/// The public development blind-index key.
pub const DEVELOPMENT_INDEX_KEY: [u8; 32] = *b"paydesk development index key 32";

/// Where a value lives: part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Table.
    pub table: &'static str,
    /// Column.
    pub column: &'static str,
}

impl Field {
    /// `customers.email`.
    pub const CUSTOMER_EMAIL: Field = Field::new("customers", "email");
    /// `customers.phone`.
    pub const CUSTOMER_PHONE: Field = Field::new("customers", "phone");
    /// `contacts.external_ref` (the channel identity).
    pub const CONTACT_EXTERNAL: Field = Field::new("contacts", "external_ref");
    /// `contacts.email`.
    pub const CONTACT_EMAIL: Field = Field::new("contacts", "email");
    /// `contacts.phone`.
    pub const CONTACT_PHONE: Field = Field::new("contacts", "phone");
    /// `totp_credentials.secret`.
    pub const TOTP_SECRET: Field = Field::new("totp_credentials", "secret");
    /// `ticket_calls.from_number`.
    pub const CALL_FROM: Field = Field::new("ticket_calls", "from_number");
    /// `callbacks.phone`.
    pub const CALLBACK_PHONE: Field = Field::new("callbacks", "phone");
    /// `notifications.recipient`.
    pub const NOTICE_RECIPIENT: Field = Field::new("notifications", "recipient");
    /// `outbox.recipient`.
    pub const OUTBOX_RECIPIENT: Field = Field::new("outbox", "recipient");
    /// `identity_verifications.items`: the identity check's answer key (which of the
    /// listed transactions are the customer's).
    pub const VERIFICATION_ITEMS: Field = Field::new("identity_verifications", "items");

    const fn new(table: &'static str, column: &'static str) -> Self {
        Self { table, column }
    }
}

/// Why a value could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Not in the stored form (plain text where a ciphertext belongs).
    #[error("the stored {0} is not encrypted")]
    NotEncrypted(String),
    /// Encrypted under a key this node does not have.
    #[error("the stored {field} is encrypted with key {key_id:?}, which is not configured")]
    UnknownKey {
        /// Table.column.
        field: String,
        /// The key id in the ciphertext.
        key_id: String,
    },
    /// The authentication tag does not match: the value was altered or moved.
    #[error("the stored {0} failed authentication (altered, or moved from another row)")]
    Tampered(String),
    /// A key in the configuration is unusable.
    #[error("{0}")]
    BadKey(String),
}

impl From<CryptoError> for RepoError {
    fn from(e: CryptoError) -> Self {
        RepoError::Unexpected(anyhow::Error::new(e))
    }
}

/// The data keys (by id), which one encrypts new values, and the blind-index key.
/// `Debug` shows key ids only.
#[derive(Clone)]
pub struct KeyRing {
    keys: BTreeMap<String, XChaCha20Poly1305>,
    active: String,
    index_key: [u8; 32],
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .field("index_key", &"***")
            .finish()
    }
}

/// Decodes a configured 32-byte key (standard or URL-safe base64, or 64 hex digits).
pub fn decode_key(text: &str) -> Result<[u8; 32], CryptoError> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| CryptoError::BadKey("a key is not valid hex".into()))?
    } else {
        let std = base64::engine::general_purpose::STANDARD;
        std.decode(t)
            .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
            .map_err(|_| CryptoError::BadKey("a key is neither base64 nor hex".into()))?
    };
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| CryptoError::BadKey(format!("a key must be 32 bytes, not {}", bytes.len())))
}

/// A new random 32-byte key, base64: what `paydesk keys generate` prints.
pub fn generate_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
}

fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl KeyRing {
    /// A ring from configured keys. `active` encrypts new values; every key decrypts.
    pub fn new(
        keys: &[(String, [u8; 32])],
        active: &str,
        index_key: [u8; 32],
    ) -> Result<Self, CryptoError> {
        let mut map = BTreeMap::new();
        for (id, bytes) in keys {
            if !valid_key_id(id) {
                return Err(CryptoError::BadKey(format!(
                    "key id {id:?}: use 1-32 lower-case letters, digits, '-' or '_'"
                )));
            }
            let cipher = XChaCha20Poly1305::new_from_slice(bytes)
                .map_err(|_| CryptoError::BadKey("a key must be 32 bytes".into()))?;
            map.insert(id.clone(), cipher);
        }
        if !map.contains_key(active) {
            return Err(CryptoError::BadKey(format!(
                "the active key {active:?} is not among the configured keys"
            )));
        }
        Ok(Self {
            keys: map,
            active: active.to_owned(),
            index_key,
        })
    }

    /// The public development ring (key id `dev`): demo data and tests only. Its bytes
    /// are in the source code, so it protects nothing; production refuses to start with it
    /// unless `encryption.development_key` is set.
    pub fn development() -> Self {
        let data = DEVELOPMENT_DATA_KEY;
        let index = DEVELOPMENT_INDEX_KEY;
        Self {
            keys: BTreeMap::from([(
                DEVELOPMENT_KEY_ID.to_owned(),
                XChaCha20Poly1305::new(&data.into()),
            )]),
            active: DEVELOPMENT_KEY_ID.to_owned(),
            index_key: index,
        }
    }

    /// The id of the key that encrypts new values.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Ids of every configured key.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.keys().cloned().collect()
    }

    fn aad(field: Field, row: &str, key_id: &str) -> Vec<u8> {
        format!(
            "paydesk/v1\x1f{}\x1f{}\x1f{row}\x1f{key_id}",
            field.table, field.column
        )
        .into_bytes()
    }

    /// Encrypts a value for one row's column under the active key.
    pub fn encrypt(&self, field: Field, row: &str, plain: &str) -> Result<String, CryptoError> {
        let cipher = self
            .keys
            .get(&self.active)
            .ok_or_else(|| CryptoError::BadKey("the active key is missing".into()))?;
        let nonce_bytes = rand::random::<[u8; 24]>();
        let aad = Self::aad(field, row, &self.active);
        let sealed = cipher
            .encrypt(
                &nonce_bytes.into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::BadKey("encryption failed".into()))?;
        let mut out = Vec::with_capacity(24 + sealed.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.active,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Encrypts an optional value.
    pub fn encrypt_opt(
        &self,
        field: Field,
        row: &str,
        plain: Option<&str>,
    ) -> Result<Option<String>, CryptoError> {
        plain.map(|p| self.encrypt(field, row, p)).transpose()
    }

    /// Decrypts a stored value of one row's column.
    pub fn decrypt(&self, field: Field, row: &str, stored: &str) -> Result<String, CryptoError> {
        let name = format!("{}.{}", field.table, field.column);
        let (key_id, body) =
            key_id_of(stored).ok_or_else(|| CryptoError::NotEncrypted(name.clone()))?;
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| CryptoError::UnknownKey {
                field: name.clone(),
                key_id: key_id.to_owned(),
            })?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Tampered(name.clone()))?;
        if raw.len() < 24 + 16 {
            return Err(CryptoError::Tampered(name));
        }
        let (nonce, sealed) = raw.split_at(24);
        let nonce: [u8; 24] = nonce
            .try_into()
            .map_err(|_| CryptoError::Tampered(name.clone()))?;
        let aad = Self::aad(field, row, key_id);
        let plain = cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Tampered(name.clone()))?;
        String::from_utf8(plain).map_err(|_| CryptoError::Tampered(name))
    }

    /// Decrypts an optional stored value.
    pub fn decrypt_opt(
        &self,
        field: Field,
        row: &str,
        stored: Option<&str>,
    ) -> Result<Option<String>, CryptoError> {
        stored.map(|s| self.decrypt(field, row, s)).transpose()
    }

    /// The keyed blind index of a (normalised) value for equality lookups. `purpose`
    /// separates the index spaces (`email`, `phone`, `contact:phone`, …).
    pub fn blind_index(&self, purpose: &str, value: &str) -> String {
        // HMAC accepts keys of any length: this cannot fail for a 32-byte key.
        let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.index_key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0x1f]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// The key id and body of a stored ciphertext, or `None` for anything else.
pub fn key_id_of(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (key_id, body) = rest.split_once(':')?;
    valid_key_id(key_id).then_some((key_id, body))
}

/// Whether a stored value is a ciphertext.
pub fn is_encrypted(stored: &str) -> bool {
    key_id_of(stored).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(ids: &[&str], active: &str) -> KeyRing {
        let keys: Vec<(String, [u8; 32])> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| ((*id).to_owned(), [i as u8 + 1; 32]))
            .collect();
        KeyRing::new(&keys, active, [9; 32]).unwrap()
    }

    #[test]
    fn round_trip_with_random_nonces() {
        let r = ring(&["k1"], "k1");
        let a = r
            .encrypt(Field::CUSTOMER_PHONE, "c1", "+6281234567890")
            .unwrap();
        let b = r
            .encrypt(Field::CUSTOMER_PHONE, "c1", "+6281234567890")
            .unwrap();
        assert_ne!(a, b, "random nonces");
        assert!(!a.contains("6281234567890"));
        assert_eq!(
            r.decrypt(Field::CUSTOMER_PHONE, "c1", &a).unwrap(),
            "+6281234567890"
        );
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_row_column_and_key_id() {
        let r = ring(&["k1", "k2"], "k1");
        let a = r
            .encrypt(Field::CUSTOMER_PHONE, "c1", "+6281234567890")
            .unwrap();
        assert!(matches!(
            r.decrypt(Field::CUSTOMER_PHONE, "c2", &a),
            Err(CryptoError::Tampered(_))
        ));
        assert!(matches!(
            r.decrypt(Field::CUSTOMER_EMAIL, "c1", &a),
            Err(CryptoError::Tampered(_))
        ));
        let relabelled = a.replacen("pdenc1:k1:", "pdenc1:k2:", 1);
        assert!(matches!(
            r.decrypt(Field::CUSTOMER_PHONE, "c1", &relabelled),
            Err(CryptoError::Tampered(_))
        ));
        // One flipped character of the body.
        let mut bytes = a.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert!(matches!(
            r.decrypt(Field::CUSTOMER_PHONE, "c1", &flipped),
            Err(CryptoError::Tampered(_))
        ));
        assert!(matches!(
            r.decrypt(Field::CUSTOMER_PHONE, "c1", "+6281234567890"),
            Err(CryptoError::NotEncrypted(_))
        ));
    }

    #[test]
    fn old_keys_read_until_removed() {
        let old = ring(&["k1"], "k1");
        let both = ring(&["k1", "k2"], "k2");
        let only_new = ring(&["k1", "k2"], "k2");
        let v = old
            .encrypt(Field::TOTP_SECRET, "customer:1", "SECRET")
            .unwrap();
        assert_eq!(
            both.decrypt(Field::TOTP_SECRET, "customer:1", &v).unwrap(),
            "SECRET"
        );
        let re = both
            .encrypt(Field::TOTP_SECRET, "customer:1", "SECRET")
            .unwrap();
        assert_eq!(key_id_of(&re).unwrap().0, "k2");
        let k2_only = KeyRing::new(&[("k2".into(), [2; 32])], "k2", [9; 32]).unwrap();
        assert_eq!(
            k2_only
                .decrypt(Field::TOTP_SECRET, "customer:1", &re)
                .unwrap(),
            "SECRET"
        );
        assert!(matches!(
            k2_only.decrypt(Field::TOTP_SECRET, "customer:1", &v),
            Err(CryptoError::UnknownKey { .. })
        ));
        assert_eq!(
            only_new.blind_index("phone", "+62811"),
            old.blind_index("phone", "+62811"),
            "the blind index does not depend on the data key"
        );
    }

    #[test]
    fn keys_and_debug() {
        let k = generate_key();
        assert_eq!(decode_key(&k).unwrap().len(), 32);
        assert!(decode_key("short").is_err());
        assert!(decode_key(&"ab".repeat(32)).is_ok());
        let debug = format!("{:?}", ring(&["k1"], "k1"));
        assert!(debug.contains("k1") && !debug.contains("[1, 1"), "{debug}");
        assert!(KeyRing::new(&[("k1".into(), [1; 32])], "k9", [0; 32]).is_err());
        assert!(KeyRing::new(&[("bad id".into(), [1; 32])], "bad id", [0; 32]).is_err());
    }
}
