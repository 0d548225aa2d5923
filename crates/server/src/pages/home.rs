//! The customer's home page.

use super::{Chrome, PageUser, error_page, local_date, render, status_key};
use crate::auth::CustomerOnly;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use domain::{Customer, Region};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/home", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    customer: Customer,
    region: Region,
    status_key: &'static str,
    member_since: String,
    locale_name: &'static str,
    balance: String,
}

async fn home(State(state): State<AppState>, user: PageUser<CustomerOnly>) -> Response {
    let locale = user.ctx.tr.locale;
    let Some(id) = user.principal.customer_id() else {
        return error_page(&state, locale, &ApiError::Forbidden);
    };
    let loaded = async {
        let customer = state.repo.customer(id).await?;
        let region = state.repo.region(&customer.region_id).await?;
        let balance = crate::api::wallet::balance_view(&state, id).await?;
        Ok::<_, ApiError>((customer, region, balance))
    };
    match loaded.await {
        Ok((customer, region, balance)) => {
            let page = HomePage {
                chrome: user.ctx.chrome(),
                status_key: status_key(customer.status),
                member_since: local_date(customer.created_at_us, &region.time_zone),
                locale_name: locale.native_name(),
                balance: balance.available_display,
                customer,
                region,
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}
