//! paydesk's domain: the types and rules of a wallet operator's support desk.
//!
//! This crate does no IO. Storage, HTTP and the clock live in other crates and reach
//! the domain through the repository traits in [`repo`] and plain values.

/// A closed set of values stored and sent by name (`"failed_transaction"`).
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $s)] $variant),+
        }
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// Parses the stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

pub mod calendar;
pub mod cards;
pub mod complaint;
pub mod console;
pub mod coupon;
pub mod files;
pub mod help;
pub mod identity;
pub mod ids;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod page;
pub mod privacy;
pub mod protection;
pub mod region;
pub mod repo;
pub mod sla;
pub mod ticket;
pub mod validation;
pub mod wallet;

pub use identity::{
    AccountStatus, Customer, DisplayName, Email, LoginId, Merchant, NewCustomer, NewStaff,
    Password, Phone, Principal, Role, Staff, SupportGroup,
};
pub use ids::{CustomerId, GroupId, MerchantId, RegionId, StaffId, UserId};
pub use locale::Locale;
pub use money::{Currency, Money, MoneyError};
pub use page::{Cursor, Limit, Page};
pub use region::Region;
pub use validation::{FieldError, ValidationError};
