//! HMAC-SHA256 signatures of webhook bodies. Every platform signs the raw bytes it sent, so
//! checks run on the body before it is parsed, and compare in constant time (`verify_slice`)
//! so an attacker cannot learn a valid signature byte by byte from response times.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused; all of them answer 401, the reason goes to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header.
    #[error("signature header missing")]
    Missing,
    /// The header is not in the expected form.
    #[error("signature header malformed")]
    Malformed,
    /// The timestamp is outside the tolerance: a replay or a badly wrong clock.
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// Well formed, but not made with our secret over these bytes.
    #[error("signature does not match")]
    Mismatch,
}

fn keyed(key: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    // HMAC takes keys of any length, so this never fails; the Option keeps it panic-free.
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let tag = keyed(key, parts)?.finalize().into_bytes();
    let mut out = [0u8; 32];
    out.copy_from_slice(&tag);
    Some(out)
}

/// Whether `tag` is the HMAC-SHA256 of `parts` under `key`, compared in constant time.
pub fn verify_hmac_sha256(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    keyed(key, parts).is_some_and(|mac| mac.verify_slice(tag).is_ok())
}

fn sha256_tag(header: Option<&str>) -> Result<&str, SignatureError> {
    header
        .ok_or(SignatureError::Missing)?
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)
}

/// Checks Meta's `X-Hub-Signature-256: sha256=<hex HMAC of the body with the app secret>`.
pub fn verify_messenger(
    app_secret: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let tag = hex::decode(sha256_tag(header)?).map_err(|_| SignatureError::Malformed)?;
    verify_hmac_sha256(app_secret.as_bytes(), &[body], &tag)
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

/// `sha256=<base64 HMAC>` as X writes it, in CRC answers and webhook signatures.
pub fn x_token(consumer_secret: &str, message: &[u8]) -> Option<String> {
    let tag = hmac_sha256(consumer_secret.as_bytes(), &[message])?;
    Some(format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    ))
}

/// Checks X's `x-twitter-webhooks-signature: sha256=<base64 HMAC of the body with the
/// consumer secret>`.
pub fn verify_x(
    consumer_secret: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let tag = base64::engine::general_purpose::STANDARD
        .decode(sha256_tag(header)?)
        .map_err(|_| SignatureError::Malformed)?;
    verify_hmac_sha256(consumer_secret.as_bytes(), &[body], &tag)
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

/// Signs a telephony event the way [`verify_telephony`] checks it:
/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. For providers' adapters and
/// for the example in the operations guide.
pub fn sign_telephony(secret: &str, t: i64, body: &[u8]) -> Option<String> {
    let t = t.to_string();
    let tag = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body])?;
    Some(format!("t={t},v1={}", hex::encode(tag)))
}

/// Checks `X-Paydesk-Signature: t=<unix seconds>,v1=<hex>` (Stripe's scheme). The
/// timestamp is inside the signed bytes, so a captured request cannot be replayed once
/// it is older than `tolerance_secs`. Several `v1` entries may be sent while a provider
/// rotates secrets; one match is enough.
pub fn verify_telephony(
    secret: &str,
    body: &[u8],
    header: Option<&str>,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t: Option<&str> = None;
    let mut tags = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => tags.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            // Other schemes (v0, future versions) are ignored, as Stripe does.
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    let secs: i64 = t.parse().map_err(|_| SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now_secs.abs_diff(secs) > tolerance_secs.max(0).unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let signed: [&[u8]; 3] = [t.as_bytes(), b".", body];
    tags.iter()
        .any(|tag| verify_hmac_sha256(secret.as_bytes(), &signed, tag))
        .then_some(())
        .ok_or(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe".
        let tag = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]).unwrap();
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_hmac_sha256(
            b"Jefe",
            &[b"what do ya want for nothing?"],
            &tag
        ));
        assert!(!verify_hmac_sha256(b"Jefe", &[b"what do ya want"], &tag));
        assert!(!verify_hmac_sha256(
            b"Jefe",
            &[b"what do ya want"],
            &tag[..16]
        ));
    }

    #[test]
    fn rfc_4231_test_case_6_long_key() {
        // A key longer than the block size is hashed first.
        let key = [0xaa_u8; 131];
        let tag = hmac_sha256(
            &key,
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        )
        .unwrap();
        assert_eq!(
            hex::encode(tag),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn messenger_signature_is_hex_of_the_raw_body() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        let body = b"The quick brown fox jumps over the lazy dog";
        let good = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
        assert_eq!(verify_messenger("key", body, Some(good)), Ok(()));
        assert_eq!(
            verify_messenger("other", body, Some(good)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_messenger("key", b"tampered", Some(good)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_messenger("key", body, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_messenger("key", body, Some("sha1=abc")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_messenger("key", body, Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn x_token_is_base64_of_the_hmac() {
        // The same vector as above, in base64.
        let body = b"The quick brown fox jumps over the lazy dog";
        let token = x_token("key", body).unwrap();
        assert_eq!(token, "sha256=97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
        assert_eq!(verify_x("key", body, Some(&token)), Ok(()));
        assert_eq!(
            verify_x("key", b"other body", Some(&token)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_x("key", body, Some("sha256=!!")),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn telephony_example_in_the_operations_guide() {
        // docs/operations.md, "Phone hotline": keep the two in step.
        let body = br#"{"event_id":"evt_1","call_id":"call_42","type":"incoming","from":"+6281234567890"}"#;
        assert_eq!(
            sign_telephony("whsec_example", 1_767_225_600, body).unwrap(),
            "t=1767225600,v1=d3348f67c58787e9e56c4796be27e318d5f2e8619c61f3b95bb3f15740f91e8c"
        );
    }

    #[test]
    fn telephony_signature_binds_the_timestamp() {
        let body = br#"{"event_id":"e1"}"#;
        let header = sign_telephony("s3cret", 1_700_000_000, body).unwrap();
        assert!(header.starts_with("t=1700000000,v1="));
        let check = |h: &str, now: i64| verify_telephony("s3cret", body, Some(h), now, 300);
        assert_eq!(check(&header, 1_700_000_100), Ok(()));
        assert_eq!(check(&header, 1_699_999_900), Ok(()));
        assert_eq!(check(&header, 1_700_000_301), Err(SignatureError::Stale));
        // Moving the timestamp breaks the signature.
        let moved = header.replace("t=1700000000", "t=1700000500");
        assert_eq!(check(&moved, 1_700_000_500), Err(SignatureError::Mismatch));
        // A rotated-out secret's tag next to the right one still passes.
        let rotated = format!("t=1700000000,v1={},{}", "00".repeat(32), &header[13..]);
        assert_eq!(check(&rotated, 1_700_000_000), Ok(()));
        assert_eq!(
            check("v1=00", 1_700_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check("t=1700000000", 1_700_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_telephony("s3cret", body, None, 0, 300),
            Err(SignatureError::Missing)
        );
    }
}
