//! Keyset pagination: an opaque cursor and a bounded limit. No OFFSET anywhere.

use crate::validation::ValidationError;
use serde::Serialize;

/// How many items a page holds: 1 to 100, 25 when unspecified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    /// The largest page a client may ask for.
    pub const MAX: u32 = 100;

    /// Validates a client-supplied limit.
    pub fn parse(value: Option<i64>) -> Result<Self, ValidationError> {
        match value {
            None => Ok(Limit(25)),
            Some(n) if (1..=i64::from(Self::MAX)).contains(&n) => Ok(Limit(n as u32)),
            Some(_) => Err(ValidationError::field(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {}", Self::MAX),
            )),
        }
    }

    /// The value.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// The position after the last item of a page: the sort key and the id as a tie-breaker.
/// Clients see it only as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item (a name, a timestamp as decimal, ...).
    pub key: String,
    /// The id of the last item.
    pub id: String,
}

impl Cursor {
    /// Opaque encoding: hex of `key \u{1f} id`, safe in URLs without escaping.
    pub fn encode(&self) -> String {
        let raw = format!("{}\u{1f}{}", self.key, self.id);
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Decodes a client-supplied cursor; anything malformed is a validation error.
    pub fn decode(s: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::field("cursor", "invalid_format", "the cursor is not valid");
        if !s.len().is_multiple_of(2) || s.len() > 2048 {
            return Err(bad());
        }
        let bytes: Result<Vec<u8>, _> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16))
            .collect();
        let raw = String::from_utf8(bytes.map_err(|_| bad())?).map_err(|_| bad())?;
        let (key, id) = raw.split_once('\u{1f}').ok_or_else(bad)?;
        Ok(Cursor {
            key: key.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// One page of results and where the next one starts.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items, in the listing's order.
    pub items: Vec<T>,
    /// The cursor for the next page, absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            key: "Budi Santoso".into(),
            id: "0190-abc".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode("abc").is_err());
        assert!(Cursor::decode("6162").is_err()); // no separator
    }

    #[test]
    fn limit_is_bounded() {
        assert_eq!(Limit::parse(None).unwrap().get(), 25);
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(101)).is_err());
        assert_eq!(Limit::parse(Some(100)).unwrap().get(), 100);
    }
}
