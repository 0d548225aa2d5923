//! Regions: where a customer lives, which decides their time zone and support calendar.

use crate::ids::RegionId;
use serde::Serialize;

/// An operating region with its IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Slug such as `id-jakarta`.
    pub id: RegionId,
    /// Display name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// IANA zone (`Asia/Jakarta`).
    pub time_zone: String,
    /// Local abbreviation customers know (`WIB`, `WITA`, `WIT`, `CST`).
    pub zone_abbreviation: String,
}
