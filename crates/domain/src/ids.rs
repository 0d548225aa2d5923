//! Identifiers. Ids are UUIDv7 strings: time-ordered, so keyset pagination on them
//! follows creation order, and portable as `TEXT` on both storage backends.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }
            /// Wraps an id read from storage or a trusted source.
            pub fn from_string(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            /// Parses an id from untrusted input (a URL path, a JSON body).
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::parse_str(s).ok().map(|u| Self(u.to_string()))
            }
            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A customer of the wallet.
    CustomerId
);
id_type!(
    /// A member of staff: agent, supervisor, admin or merchant staff.
    StaffId
);
id_type!(
    /// A merchant that accepts wallet payments.
    MerchantId
);
id_type!(
    /// A support group agents belong to.
    GroupId
);

/// A region's id is a readable slug (`id-jakarta`), chosen by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionId(String);

impl RegionId {
    /// Wraps a region slug.
    pub fn from_string(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Either kind of account that can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum UserId {
    /// An end customer.
    Customer(CustomerId),
    /// A member of staff.
    Staff(StaffId),
}

impl UserId {
    /// The raw id string.
    pub fn as_str(&self) -> &str {
        match self {
            UserId::Customer(id) => id.as_str(),
            UserId::Staff(id) => id.as_str(),
        }
    }
}
