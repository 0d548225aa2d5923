//! What the API returns: wire shapes kept apart from domain types so the domain can
//! change without breaking clients.

use domain::{Customer, Merchant, Principal, Region, Staff, SupportGroup, UserId};
use serde::Serialize;
use utoipa::ToSchema;

/// RFC 3339 UTC time of a microsecond timestamp.
pub fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// Account id.
    pub id: String,
    /// `customer` or `staff`.
    pub kind: String,
    /// `customer`, `agent`, `supervisor`, `admin` or `merchant`.
    pub role: String,
    /// Name.
    pub display_name: String,
    /// UI language: `en`, `id` or `zh-CN`.
    pub locale: String,
    /// Merchant staff: their merchant.
    pub merchant_id: Option<String>,
}

impl From<&Principal> for MeView {
    fn from(p: &Principal) -> Self {
        Self {
            id: p.user.as_str().to_owned(),
            kind: match p.user {
                UserId::Customer(_) => "customer".into(),
                UserId::Staff(_) => "staff".into(),
            },
            role: p.role.as_str().into(),
            display_name: p.display_name.clone(),
            locale: p.locale.tag().into(),
            merchant_id: p.merchant_id.as_ref().map(|m| m.to_string()),
        }
    }
}

/// A customer profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Id.
    pub id: String,
    /// Email, if any.
    pub email: Option<String>,
    /// Phone in E.164, if any.
    pub phone: Option<String>,
    /// Name.
    pub display_name: String,
    /// UI language.
    pub locale: String,
    /// Home region id.
    pub region_id: String,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// Registration time (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&Customer> for CustomerView {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.to_string(),
            email: c.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
            display_name: c.display_name.as_str().to_owned(),
            locale: c.locale.tag().into(),
            region_id: c.region_id.to_string(),
            status: c.status.as_str().into(),
            created_at: rfc3339(c.created_at_us),
        }
    }
}

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    /// Id.
    pub id: String,
    /// Work email.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// `agent`, `supervisor`, `admin` or `merchant`.
    pub role: String,
    /// Merchant staff: their merchant.
    pub merchant_id: Option<String>,
    /// Agents and supervisors: their group.
    pub group_id: Option<String>,
    /// UI language.
    pub locale: String,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&Staff> for StaffView {
    fn from(s: &Staff) -> Self {
        Self {
            id: s.id.to_string(),
            email: s.email.as_str().to_owned(),
            display_name: s.display_name.as_str().to_owned(),
            role: s.role.as_str().into(),
            merchant_id: s.merchant_id.as_ref().map(|m| m.to_string()),
            group_id: s.group_id.as_ref().map(|g| g.to_string()),
            locale: s.locale.tag().into(),
            status: s.status.as_str().into(),
            created_at: rfc3339(s.created_at_us),
        }
    }
}

/// A merchant.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantView {
    /// Id.
    pub id: String,
    /// Trading name.
    pub name: String,
    /// Category (`food`, `retail`, …).
    pub category: String,
    /// Region id.
    pub region_id: String,
}

impl From<&Merchant> for MerchantView {
    fn from(m: &Merchant) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name.clone(),
            category: m.category.clone(),
            region_id: m.region_id.to_string(),
        }
    }
}

/// An operating region.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    /// Slug.
    pub id: String,
    /// Name.
    pub name: String,
    /// ISO country code.
    pub country: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Local zone abbreviation (WIB, WITA, WIT, CST).
    pub zone_abbreviation: String,
}

impl From<&Region> for RegionView {
    fn from(r: &Region) -> Self {
        Self {
            id: r.id.to_string(),
            name: r.name.clone(),
            country: r.country.clone(),
            time_zone: r.time_zone.clone(),
            zone_abbreviation: r.zone_abbreviation.clone(),
        }
    }
}

/// A support group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

impl From<&SupportGroup> for GroupView {
    fn from(g: &SupportGroup) -> Self {
        Self {
            id: g.id.to_string(),
            name: g.name.clone(),
        }
    }
}

macro_rules! page_view {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            /// Items of this page.
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }
    };
}

page_view!(
    /// A page of customers.
    CustomerPage, CustomerView
);
page_view!(
    /// A page of staff.
    StaffPage, StaffView
);
page_view!(
    /// A page of merchants.
    MerchantPage, MerchantView
);

/// Query parameters of keyset-paginated lists.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// Validated limit and decoded cursor.
    pub fn parse(
        &self,
    ) -> Result<(domain::Limit, Option<domain::Cursor>), domain::ValidationError> {
        let limit = domain::Limit::parse(self.limit);
        let cursor = self
            .cursor
            .as_deref()
            .map(domain::Cursor::decode)
            .transpose();
        match (limit, cursor) {
            (Ok(l), Ok(c)) => Ok((l, c)),
            (l, c) => Err(domain::ValidationError {
                errors: l
                    .err()
                    .into_iter()
                    .chain(c.err())
                    .flat_map(|e| e.errors)
                    .collect(),
            }),
        }
    }
}
