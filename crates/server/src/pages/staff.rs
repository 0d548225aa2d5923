//! Staff pages: the console home, the customer directory and profiles, the staff list,
//! and the merchant's own page.

use super::{Chrome, PageUser, error_page, local_date, render, role_key, status_key};
use crate::auth::{AnyStaff, MerchantOnly, SupportStaff};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use domain::repo::CustomerQuery;
use domain::{
    Cursor, Customer, CustomerId, Limit, Region, RegionId, Role, Staff, SupportGroup, UserId,
};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(console))
        .route("/staff/customers", get(customers))
        .route("/staff/customers/{id}", get(customer))
        .route("/staff/team", get(team))
        .route("/staff/merchant", get(merchant))
}

struct Section {
    href: &'static str,
    title_key: &'static str,
    body_key: &'static str,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
struct ConsolePage {
    chrome: Chrome,
    staff: Staff,
    role_key: &'static str,
    group_name: String,
    sections: Vec<Section>,
    groups: Vec<SupportGroup>,
}

fn staff_id(user: &domain::Principal) -> Result<&domain::StaffId, ApiError> {
    match &user.user {
        UserId::Staff(id) => Ok(id),
        UserId::Customer(_) => Err(ApiError::Forbidden),
    }
}

async fn console(State(state): State<AppState>, user: PageUser<AnyStaff>) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        let staff = state.repo.staff(staff_id(&user.principal)?).await?;
        let groups = if staff.role.is_support_staff() {
            state.repo.groups().await?
        } else {
            Vec::new()
        };
        Ok::<_, ApiError>((staff, groups))
    };
    let (staff, groups) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let sections = if staff.role == Role::Merchant {
        vec![
            Section {
                href: "/staff/merchant",
                title_key: "staff-section-merchant",
                body_key: "staff-section-merchant-body",
            },
            Section {
                href: "/staff/merchant/refunds",
                title_key: "staff-section-refunds",
                body_key: "staff-section-refunds-body",
            },
        ]
    } else {
        vec![
            Section {
                href: "/staff/customers",
                title_key: "staff-section-customers",
                body_key: "staff-section-customers-body",
            },
            Section {
                href: "/staff/team",
                title_key: "staff-section-team",
                body_key: "staff-section-team-body",
            },
        ]
    };
    let group_name = staff
        .group_id
        .as_ref()
        .and_then(|g| groups.iter().find(|x| &x.id == g))
        .map(|g| g.name.clone())
        .unwrap_or_default();
    let page = ConsolePage {
        chrome: user.ctx.chrome(),
        role_key: role_key(staff.role),
        staff,
        group_name,
        sections,
        groups,
    };
    render(&state, locale, &page)
}

struct CustomerRow {
    id: String,
    name: String,
    email: String,
    phone: String,
    region: String,
    status_key: &'static str,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    chrome: Chrome,
    q: String,
    region: String,
    regions: Vec<Region>,
    rows: Vec<CustomerRow>,
    next_href: String,
    first_href: String,
}

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    region: Option<String>,
    cursor: Option<String>,
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn customers(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Query(dq): Query<DirectoryQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let q =
        dq.q.unwrap_or_default()
            .chars()
            .take(100)
            .collect::<String>();
    let region = dq.region.unwrap_or_default();
    // A tampered cursor shows the first page rather than an error.
    let cursor = dq.cursor.as_deref().and_then(|c| Cursor::decode(c).ok());
    let loaded = async {
        let regions = state.repo.regions().await?;
        let query = CustomerQuery {
            text: Some(q.clone()).filter(|t| !t.trim().is_empty()),
            region_id: Some(region.clone())
                .filter(|r| !r.is_empty())
                .map(RegionId::from_string),
        };
        let limit = Limit::parse(Some(25))?;
        let page = state
            .repo
            .list_customers(&query, cursor.as_ref(), limit)
            .await?;
        Ok::<_, ApiError>((regions, page))
    };
    let (regions, page) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let region_names: HashMap<&str, &str> = regions
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str()))
        .collect();
    let rows = page
        .items
        .iter()
        .map(|c| CustomerRow {
            id: c.id.to_string(),
            name: c.display_name.as_str().to_owned(),
            email: c
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            phone: c
                .phone
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            region: region_names
                .get(c.region_id.as_str())
                .copied()
                .unwrap_or("")
                .to_owned(),
            status_key: status_key(c.status),
        })
        .collect();
    let next_href = page
        .next_cursor
        .map(|c| {
            format!(
                "/staff/customers?{}",
                query_string(&[("q", &q), ("region", &region), ("cursor", &c)])
            )
        })
        .unwrap_or_default();
    let first_href = if cursor.is_some() {
        format!(
            "/staff/customers?{}",
            query_string(&[("q", &q), ("region", &region)])
        )
    } else {
        String::new()
    };
    let page = CustomersPage {
        chrome: user.ctx.chrome(),
        q,
        region,
        regions,
        rows,
        next_href,
        first_href,
    };
    render(&state, locale, &page)
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    chrome: Chrome,
    customer: Customer,
    region: Region,
    status_key: &'static str,
    member_since: String,
    transactions: Vec<super::wallet::TxRow>,
    /// Linked cards and bank accounts, masked, with risk flags.
    cards: Vec<crate::api::cards::MethodView>,
}

async fn customer(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        let id = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
        let customer = state.repo.customer(&id).await?;
        let region = state.repo.region(&customer.region_id).await?;
        // Agents see any customer's history; the newest few are what calls are about.
        let transactions =
            super::wallet::recent_rows(&state, &id, &region.time_zone, &user.ctx.tr).await?;
        let cards = state
            .repo
            .linked_methods(&id, true)
            .await?
            .iter()
            .map(|m| crate::api::cards::MethodView::new(&state, locale, m, true))
            .collect();
        Ok::<_, ApiError>((customer, region, transactions, cards))
    };
    match loaded.await {
        Ok((customer, region, transactions, cards)) => {
            let page = CustomerPage {
                chrome: user.ctx.chrome(),
                status_key: status_key(customer.status),
                member_since: local_date(customer.created_at_us, &region.time_zone),
                transactions,
                cards,
                customer,
                region,
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

struct StaffRow {
    name: String,
    email: String,
    role_key: &'static str,
    group: String,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    chrome: Chrome,
    title: String,
    merchant_facts: Vec<(String, String)>,
    rows: Vec<StaffRow>,
    next_href: String,
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

async fn staff_rows(
    state: &AppState,
    merchant: Option<&domain::MerchantId>,
    cursor: Option<&str>,
) -> Result<(Vec<StaffRow>, Option<String>), ApiError> {
    let groups = state.repo.groups().await?;
    let cursor = cursor.and_then(|c| Cursor::decode(c).ok());
    let page = state
        .repo
        .list_staff(merchant, cursor.as_ref(), Limit::parse(Some(50))?)
        .await?;
    let rows = page
        .items
        .iter()
        .map(|s| StaffRow {
            name: s.display_name.as_str().to_owned(),
            email: s.email.as_str().to_owned(),
            role_key: role_key(s.role),
            group: s
                .group_id
                .as_ref()
                .and_then(|g| groups.iter().find(|x| &x.id == g))
                .map(|g| g.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    Ok((rows, page.next_cursor))
}

async fn team(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Query(cq): Query<CursorQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    match staff_rows(&state, None, cq.cursor.as_deref()).await {
        Ok((rows, next)) => {
            let page = TeamPage {
                title: user.ctx.tr.t("team-title"),
                chrome: user.ctx.chrome(),
                merchant_facts: Vec::new(),
                rows,
                next_href: next
                    .map(|c| format!("/staff/team?cursor={c}"))
                    .unwrap_or_default(),
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

async fn merchant(
    State(state): State<AppState>,
    user: PageUser<MerchantOnly>,
    Query(cq): Query<CursorQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        let merchant_id = user
            .principal
            .merchant_id
            .clone()
            .ok_or(ApiError::Forbidden)?;
        let merchant = state.repo.merchant(&merchant_id).await?;
        let region = state.repo.region(&merchant.region_id).await?;
        let (rows, next) = staff_rows(&state, Some(&merchant_id), cq.cursor.as_deref()).await?;
        Ok::<_, ApiError>((merchant, region, rows, next))
    };
    match loaded.await {
        Ok((merchant, region, rows, next)) => {
            let tr = &user.ctx.tr;
            let page = TeamPage {
                title: merchant.name.clone(),
                merchant_facts: vec![
                    (tr.t("merchant-category"), merchant.category.clone()),
                    (
                        tr.t("merchant-region"),
                        format!("{} ({})", region.name, region.zone_abbreviation),
                    ),
                ],
                chrome: user.ctx.chrome(),
                rows,
                next_href: next
                    .map(|c| format!("/staff/merchant?cursor={c}"))
                    .unwrap_or_default(),
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}
