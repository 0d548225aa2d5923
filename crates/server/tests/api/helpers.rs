//! The test app: a router on a fresh database with a few known accounts.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode, header};
use domain::{
    AccountStatus, Customer, CustomerId, DisplayName, Email, GroupId, Locale, Merchant, MerchantId,
    Phone, Region, RegionId, Role, Staff, StaffId, SupportGroup,
};
use http_body_util::BodyExt;
use serde_json::Value;
use server::{AppState, Config};
use std::sync::Arc;
use store::{Store, StoreOptions};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// Known accounts of every role.
pub struct Accounts {
    pub customer: Customer,
    pub other_customer: Customer,
    pub agent: Staff,
    pub supervisor: Staff,
    pub admin: Staff,
    pub merchant_staff: Staff,
    pub merchant: Merchant,
    pub other_merchant: Merchant,
    pub group: SupportGroup,
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub store: Store,
    pub accounts: Accounts,
    /// The test's database, for a second node on it.
    pub url: String,
}

/// A parsed answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type")
    }
    /// Asserts a 422 validation problem and returns the failing fields in order.
    pub fn invalid_fields(&self) -> Vec<String> {
        let p = self.assert_problem(422, "validation_failed");
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
    /// Asserts an RFC 9457 problem with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.body);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {}",
            self.content_type()
        );
        let v = self.json();
        assert_eq!(v["code"], code, "code; body: {}", self.body);
        assert_eq!(v["status"], status);
        assert_eq!(v["type"], format!("urn:paydesk:problem:{code}"));
        assert!(
            !v["request_id"].as_str().unwrap_or("").is_empty(),
            "request id missing"
        );
        assert!(!v["title"].as_str().unwrap_or("").is_empty());
        v
    }
    /// `name=value` of a Set-Cookie header with this cookie name.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

pub fn test_config() -> Config {
    let mut config = Config::default();
    // Cheap hashing keeps the suite fast; production uses the OWASP parameters.
    config.auth.argon2_memory_kib = 64;
    config.auth.argon2_iterations = 1;
    config.files.dir = std::env::temp_dir()
        .join(format!("paydesk-test-files-{}", uuid::Uuid::now_v7()))
        .display()
        .to_string();
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_config()).await
}

fn staff(
    email: &str,
    name: &str,
    role: Role,
    merchant: Option<&Merchant>,
    group: Option<&SupportGroup>,
) -> Staff {
    Staff {
        id: StaffId::new(),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        role,
        merchant_id: merchant.map(|m| m.id.clone()),
        group_id: group.map(|g| g.id.clone()),
        locale: Locale::En,
        status: AccountStatus::Active,
        created_at_us: server::now_us(),
    }
}

pub fn customer(email: &str, phone: &str, name: &str) -> Customer {
    Customer {
        id: CustomerId::new(),
        email: Some(Email::parse(email).unwrap()),
        phone: Some(Phone::parse(phone).unwrap()),
        display_name: DisplayName::parse(name).unwrap(),
        locale: Locale::En,
        region_id: RegionId::from_string("id-jakarta"),
        status: AccountStatus::Active,
        created_at_us: server::now_us(),
    }
}

pub async fn spawn_app_with(mut config: Config) -> TestApp {
    let url = store::testing::fresh_database_url().await.unwrap();
    config.database.url = url.clone();
    // Tests need no protection from power loss: skip the per-commit fsync.
    let store = Store::open(&StoreOptions {
        sqlite_full_sync: false,
        ..StoreOptions::new(url.clone(), 5)
    })
    .await
    .unwrap();
    for (id, name, tz, abbr) in [
        ("id-jakarta", "Jakarta", "Asia/Jakarta", "WIB"),
        ("cn-shanghai", "Shanghai", "Asia/Shanghai", "CST"),
    ] {
        store
            .upsert_region(&Region {
                id: RegionId::from_string(id),
                name: name.into(),
                country: if id.starts_with("cn") {
                    "CN".into()
                } else {
                    "ID".into()
                },
                time_zone: tz.into(),
                zone_abbreviation: abbr.into(),
            })
            .await
            .unwrap();
    }
    let group = SupportGroup {
        id: GroupId::new(),
        name: "Payments".into(),
    };
    store.ensure_group(&group).await.unwrap();
    let merchant = Merchant {
        id: MerchantId::new(),
        name: "Warung Nusantara".into(),
        category: "food".into(),
        region_id: RegionId::from_string("id-jakarta"),
    };
    let other_merchant = Merchant {
        id: MerchantId::new(),
        name: "Kopi Senja".into(),
        ..merchant.clone()
    };
    store.ensure_merchant(&merchant, 0).await.unwrap();
    store.ensure_merchant(&other_merchant, 0).await.unwrap();

    let state = AppState::new(Arc::new(store.clone()), config).unwrap();
    let hash = state
        .passwords
        .hash(&domain::Password::new_password(PASSWORD).unwrap())
        .await
        .unwrap();
    let accounts = Accounts {
        customer: customer("siti@example.id", "+6281234567890", "Siti Rahayu"),
        other_customer: customer("budi@example.id", "+6281298765432", "Budi Santoso"),
        agent: staff(
            "agent@example.id",
            "Agus Setiawan",
            Role::Agent,
            None,
            Some(&group),
        ),
        supervisor: staff(
            "supervisor@example.id",
            "Ratna Sari",
            Role::Supervisor,
            None,
            Some(&group),
        ),
        admin: staff(
            "admin@example.id",
            "Hendra Gunawan",
            Role::Admin,
            None,
            None,
        ),
        merchant_staff: staff(
            "merchant@example.id",
            "Bambang Susilo",
            Role::Merchant,
            Some(&merchant),
            None,
        ),
        merchant,
        other_merchant,
        group,
    };
    for c in [&accounts.customer, &accounts.other_customer] {
        store.insert_customer(c, &hash, false).await.unwrap();
    }
    for s in [
        &accounts.agent,
        &accounts.supervisor,
        &accounts.admin,
        &accounts.merchant_staff,
    ] {
        store.insert_staff(s, &hash, false).await.unwrap();
    }
    state.load_help_index().await.unwrap();
    let router = server::app(state.clone());
    TestApp {
        router,
        state,
        store,
        accounts,
        url,
    }
}

impl TestApp {
    /// Sends a request through the whole middleware stack.
    pub async fn send(&self, req: Request<Body>) -> Answer {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }

    /// Signs in through the API and returns the bearer token.
    pub async fn token(&self, audience: &str, login: &str) -> String {
        let a = self
            .call(
                Method::POST,
                "/api/v1/auth/tokens",
                None,
                Some(
                    serde_json::json!({"audience": audience, "login": login, "password": PASSWORD}),
                ),
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "sign-in of {login}: {}",
            a.body
        );
        a.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn customer_token(&self) -> String {
        self.token(
            "customer",
            self.accounts.customer.email.as_ref().unwrap().as_str(),
        )
        .await
    }
    pub async fn staff_token(&self, s: &Staff) -> String {
        self.token("staff", s.email.as_str()).await
    }

    /// Posts a URL-encoded form like a browser would (same-origin).
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "paydesk.test")
            .header(header::ORIGIN, "http://paydesk.test");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// GET a page with an optional cookie header.
    pub async fn page(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut b = Request::builder().uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// Signs in on a page and returns the `paydesk_session=…` cookie pair.
    pub async fn page_session(&self, path: &str, login: &str) -> String {
        let a = self
            .post_form(path, &[("login", login), ("password", PASSWORD)], None)
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "page sign-in: {}", a.body);
        let set = a.cookie("paydesk_session").expect("session cookie");
        set.split(';').next().unwrap().to_owned()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}
