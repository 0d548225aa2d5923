//! paydesk's domain: the types and rules of a wallet operator's support desk.
//!
//! This crate does no IO. Storage, HTTP and the clock live in other crates and reach
//! the domain through the repository traits in [`repo`] and plain values.

pub mod help;
pub mod identity;
pub mod ids;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod page;
pub mod region;
pub mod repo;
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
