//! Account protection: throttling and locks, equal answers for unknown accounts,
//! per-address limits, password rules, reset tokens, TOTP with replay refusal and
//! recovery codes, agent verification and unlock, sessions, and the audit chain.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::protection::{ProtectionRepo, TotpSecret, VerificationState};
use domain::repo::{IdentityRepo, WalletRepo};
use domain::{UserId, protection::NoticeKind};
use serde_json::{Value, json};
use server::auth::{Audience, SignInAttempt, SignInOutcome, sign_in};
use server::error::ApiError;

const S: i64 = 1_000_000;

fn config(f: impl FnOnce(&mut server::Config)) -> server::Config {
    let mut c = test_config();
    f(&mut c);
    c
}

fn attempt<'a>(login: &'a str, password: &'a str, now_us: i64) -> SignInAttempt<'a> {
    SignInAttempt {
        audience: Audience::Customer,
        login,
        password,
        code: None,
        user_agent: "test",
        now_us,
    }
}

async fn sign_in_token(app: &TestApp, body: Value) -> crate::helpers::Answer {
    app.call(Method::POST, "/api/v1/auth/tokens", None, Some(body))
        .await
}

/// A request from a given client address (the test config trusts `X-Forwarded-For`).
async fn from_address(app: &TestApp, ip: &str, path: &str, body: Value) -> crate::helpers::Answer {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", ip)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

fn siti(app: &TestApp) -> UserId {
    UserId::Customer(app.accounts.customer.id.clone())
}

/// Waits for a notice (reset requests are handled after the answer, in the background).
async fn notice(
    app: &TestApp,
    user: &UserId,
    kind: NoticeKind,
) -> domain::protection::Notification {
    for _ in 0..100 {
        let all = app.store.notifications(Some(user), 50).await.unwrap();
        if let Some(n) = all.into_iter().find(|n| n.kind == kind) {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {kind:?} notice for {user:?}");
}

fn token_in(body: &str) -> String {
    let start = body.find("token=").expect("link with token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

fn code_now(secret: &TotpSecret, offset_steps: i64) -> String {
    secret.code_at_step(server::now_us() / (30 * S) + offset_steps, 6)
}

/// Turns on TOTP for the bearer token's account; returns the secret and recovery codes.
async fn enrol(app: &TestApp, token: &str) -> (TotpSecret, Vec<String>) {
    let started = app
        .call(Method::POST, "/api/v1/me/totp", Some(token), None)
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let v = started.json();
    assert!(v["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(
        v["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/paydesk:")
    );
    let secret = TotpSecret::from_base32(v["secret"].as_str().unwrap()).unwrap();
    let confirmed = app
        .call(
            Method::POST,
            "/api/v1/me/totp/confirm",
            Some(token),
            Some(json!({"code": code_now(&secret, 0)})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

#[tokio::test]
async fn failures_slow_down_then_lock_alike_for_real_and_unknown_accounts_and_waiting_unlocks() {
    let app = spawn_app_with(config(|c| {
        c.security.throttle_after_failures = 2;
        c.security.lock_after_failures = 4;
        c.security.throttle_delay_secs = 5;
        c.security.lock_minutes = 15;
    }))
    .await;
    // Over HTTP: two failures, then the third is answered "wait" without a password check
    // (even the right password), and an unknown login gets exactly the same answers.
    for login in ["siti@example.id", "nobody@example.id"] {
        let mut answers = Vec::new();
        for password in ["wrong one 1", "wrong one 2", PASSWORD] {
            let a = sign_in_token(
                &app,
                json!({"audience": "customer", "login": login, "password": password}),
            )
            .await;
            answers.push((
                a.status.as_u16(),
                a.json()["code"].clone(),
                a.header("retry-after").to_owned(),
            ));
        }
        assert_eq!(
            answers,
            vec![
                (401, json!("invalid_credentials"), String::new()),
                (401, json!("invalid_credentials"), String::new()),
                (429, json!("throttled"), "5".to_owned()),
            ],
            "{login}"
        );
    }

    // With the clock moved by hand: the waits grow, then the account locks, the right
    // password is not even checked while locked, and the lock ends by itself.
    let t0 = server::now_us() + 60 * S;
    let outcome = |r: Result<SignInOutcome, ApiError>| match r {
        Ok(_) => "signed_in".to_owned(),
        Err(e) => match e {
            ApiError::Throttled { retry_after_secs } => format!("throttled {retry_after_secs}"),
            ApiError::AccountLocked { retry_after_secs } => format!("locked {retry_after_secs}"),
            other => other.parts().1.to_owned(),
        },
    };
    for login in ["budi@example.id", "ghost@example.id"] {
        let mut seen = Vec::new();
        for (at, password) in [
            (0, "nope nope 1"),
            (1, "nope nope 2"),
            (2, "nope nope 3"),
            (7, "nope nope 3"),
            (8, PASSWORD),
            (18, "nope nope 4"),
            (19, PASSWORD),
        ] {
            seen.push(outcome(
                sign_in(&app.state, &attempt(login, password, t0 + at * S)).await,
            ));
        }
        assert_eq!(
            seen,
            [
                "invalid_credentials",
                "invalid_credentials",
                "throttled 4",
                "invalid_credentials",
                "throttled 9",
                "invalid_credentials",
                "locked 899",
            ],
            "{login}"
        );
    }
    let budi = UserId::Customer(app.accounts.other_customer.id.clone());
    let locked = notice(&app, &budi, NoticeKind::AccountLocked).await;
    assert!(locked.body.contains("15"), "{}", locked.body);
    let after_lock = t0 + 18 * S + 15 * 60 * S + S;
    assert_eq!(
        outcome(
            sign_in(
                &app.state,
                &attempt("budi@example.id", PASSWORD, after_lock)
            )
            .await
        ),
        "signed_in"
    );
    assert_eq!(
        outcome(
            sign_in(
                &app.state,
                &attempt("ghost@example.id", PASSWORD, after_lock)
            )
            .await
        ),
        "invalid_credentials"
    );
}

#[tokio::test]
async fn each_client_address_has_its_own_allowance_of_failures() {
    let app = spawn_app_with(config(|c| {
        c.server.trust_proxy = true;
        c.security.address_limit = 3;
    }))
    .await;
    for (i, login) in ["a@example.id", "b@example.id", "c@example.id"]
        .iter()
        .enumerate()
    {
        let a = from_address(
            &app,
            "203.0.113.9",
            "/api/v1/auth/tokens",
            json!({"audience": "customer", "login": login, "password": format!("guess {i} guess")}),
        )
        .await;
        a.assert_problem(401, "invalid_credentials");
    }
    let blocked = from_address(
        &app,
        "203.0.113.9",
        "/api/v1/auth/tokens",
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await;
    blocked.assert_problem(429, "throttled");
    assert!(blocked.header("retry-after").parse::<u64>().unwrap() > 0);
    // A spoofed first entry does not help: only the proxy's (last) entry counts.
    from_address(
        &app,
        "10.9.9.9, 203.0.113.9",
        "/api/v1/auth/tokens",
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await
    .assert_problem(429, "throttled");
    let elsewhere = from_address(
        &app,
        "198.51.100.4",
        "/api/v1/auth/tokens",
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "{}", elsewhere.body);
}

#[tokio::test]
async fn new_passwords_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let change = |current: &'static str, new: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/me/password",
                Some(&token),
                Some(json!({"current_password": current, "new_password": new})),
            )
            .await
        }
    };
    for (new, reason) in [
        ("short", "too_short"),
        ("password1", "common"),
        ("qwertyuiop", "common"),
        ("aaaaaaaaaaaa", "repetitive"),
        ("rahayu2026", "context"),
    ] {
        let v = change(PASSWORD, new)
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(v["errors"][0]["code"], reason, "{new}");
        assert!(!v["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    let v = change("not my password", "a fine long passphrase")
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "current_password");
    let long = "kopi susu gula aren di warung pojok dekat stasiun setiap pagi sebelum kerja";
    assert!(long.chars().count() > 64);
    let ok = app
        .call(
            Method::POST,
            "/api/v1/me/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": long})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    // The session in use stays; the new password signs in.
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    let again = sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": long}),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
}

#[tokio::test]
async fn reset_links_work_once_expire_end_sessions_and_clear_the_lock() {
    let app = spawn_app_with(config(|c| {
        c.security.throttle_after_failures = 5;
        c.security.lock_after_failures = 2;
    }))
    .await;
    let old_token = app.customer_token().await;
    // Lock the account.
    for _ in 0..2 {
        sign_in_token(
            &app,
            json!({"audience": "customer", "login": "siti@example.id", "password": "wrong wrong"}),
        )
        .await;
    }
    sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await
    .assert_problem(423, "account_locked");

    // The same answer whether or not the account exists.
    let known = app
        .call(
            Method::POST,
            "/api/v1/auth/password-resets",
            None,
            Some(json!({"login": "siti@example.id"})),
        )
        .await;
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/password-resets",
            None,
            Some(json!({"login": "nobody@example.id"})),
        )
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(
        (known.status, known.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    let mail = notice(&app, &siti(&app), NoticeKind::PasswordReset).await;
    assert_eq!(mail.recipient, "siti@example.id");
    let token = token_in(&mail.body);
    assert!(token.len() >= 43, "256-bit token: {token}");

    let complete = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/password-resets/complete",
                None,
                Some(json!({"token": token, "new_password": password})),
            )
            .await
        }
    };
    // A refused password does not use the token up.
    let v = complete(token.clone(), "password123")
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["code"], "common");
    let done = complete(token.clone(), "a brand new passphrase").await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    complete(token, "another new passphrase")
        .await
        .assert_problem(400, "invalid_token");
    // Every session ended; the lock is gone; the new password works.
    app.get("/api/v1/me", Some(&old_token))
        .await
        .assert_problem(401, "unauthenticated");
    let signed_in = sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::CREATED, "{}", signed_in.body);

    // An expired link: issued 31 minutes ago.
    let customer = app.store.customer(&app.accounts.customer.id).await.unwrap();
    let before = server::now_us() - 31 * 60 * S;
    assert!(
        server::protection::reset::issue_reset(&app.state, &customer, None, "test", before)
            .await
            .unwrap()
    );
    let mails = app
        .store
        .notifications(Some(&siti(&app)), 50)
        .await
        .unwrap();
    let old = mails
        .iter()
        .find(|n| n.kind == NoticeKind::PasswordReset && n.created_at_us == before)
        .unwrap();
    complete(token_in(&old.body), "yet another passphrase")
        .await
        .assert_problem(400, "invalid_token");
    // The holder was told of the lock and of the change.
    notice(&app, &siti(&app), NoticeKind::AccountLocked).await;
    notice(&app, &siti(&app), NoticeKind::PasswordChanged).await;
}

#[tokio::test]
async fn a_reset_never_bypasses_two_step_sign_in() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let (_secret, codes) = enrol(&app, &token).await;
    let customer = app.store.customer(&app.accounts.customer.id).await.unwrap();
    server::protection::reset::issue_reset(&app.state, &customer, None, "test", server::now_us())
        .await
        .unwrap();
    let mail = notice(&app, &siti(&app), NoticeKind::PasswordReset).await;
    let reset_token = token_in(&mail.body);
    let complete = |totp: Option<&str>| {
        let app = &app;
        let body =
            json!({"token": reset_token, "new_password": "a brand new passphrase", "totp": totp});
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/password-resets/complete",
                None,
                Some(body),
            )
            .await
        }
    };
    complete(None).await.assert_problem(401, "totp_required");
    complete(Some("000000"))
        .await
        .assert_problem(401, "totp_invalid");
    let page = app.page(&format!("/reset?token={reset_token}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("name=\"code\""),
        "the reset page asks for the code"
    );
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    let done = complete(Some(&codes[0])).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    // Two-step sign-in is still on after the reset.
    sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": "a brand new passphrase"}),
    )
    .await
    .assert_problem(401, "totp_required");
}

#[tokio::test]
async fn totp_codes_work_once_and_recovery_codes_once() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let (secret, codes) = enrol(&app, &token).await;
    let status = app.get("/api/v1/me/totp", Some(&token)).await.json();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);
    let body = |totp: Option<String>| json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD, "totp": totp});
    sign_in_token(&app, body(None))
        .await
        .assert_problem(401, "totp_required");
    // The code that confirmed the set-up was used: replaying it is refused.
    sign_in_token(&app, body(Some(code_now(&secret, 0))))
        .await
        .assert_problem(401, "totp_invalid");
    // The next step's code is within the ±1 step window and not used yet.
    let next = code_now(&secret, 1);
    let ok = sign_in_token(&app, body(Some(next.clone()))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    sign_in_token(&app, body(Some(next)))
        .await
        .assert_problem(401, "totp_invalid");
    // A recovery code, typed loosely, works once.
    let loose = codes[3].to_uppercase().replace('-', " ");
    let ok = sign_in_token(&app, body(Some(loose.clone()))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    sign_in_token(&app, body(Some(loose)))
        .await
        .assert_problem(401, "totp_invalid");
    let status = app.get("/api/v1/me/totp", Some(&token)).await.json();
    assert_eq!(status["recovery_codes_left"], 9);
    // The secret is stored, never printed.
    let stored = app.store.totp(&siti(&app)).await.unwrap().unwrap();
    assert!(!format!("{stored:?}").contains(&secret.base32()));
}

#[tokio::test]
async fn page_sign_in_asks_for_the_code_in_a_second_step() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let (secret, _) = enrol(&app, &token).await;
    let first = app
        .post_form(
            "/signin",
            &[
                ("login", "siti@example.id"),
                ("password", PASSWORD),
                ("next", "/wallet"),
            ],
            None,
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.cookie("paydesk_session").is_none(),
        "no session before the code"
    );
    let marker = "name=\"step\" value=\"";
    let start = first.body.find(marker).unwrap() + marker.len();
    let step = first.body[start..].split('"').next().unwrap().to_owned();
    let wrong = app
        .post_form(
            "/signin/code",
            &[("step", &step), ("code", "123456"), ("next", "/wallet")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.cookie("paydesk_session").is_none());
    let code = code_now(&secret, 1);
    let ok = app
        .post_form(
            "/signin/code",
            &[("step", &step), ("code", &code), ("next", "/wallet")],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.header("location"), "/wallet");
    assert!(ok.cookie("paydesk_session").is_some());
    // The step token is spent.
    let again = app
        .post_form(
            "/signin/code",
            &[("step", &step), ("code", &code_now(&secret, -1))],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

/// Payments for the transactions check.
async fn history(app: &TestApp) {
    use domain::wallet::WalletOperation;
    let now = server::now_us();
    let c = app.accounts.customer.id.clone();
    let idr = |major: i64| domain::Money::major(major, domain::Currency::IDR).unwrap();
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: c.clone(),
                amount: idr(500_000),
            },
            now,
        )
        .await
        .unwrap();
    for (amount, what) in [(35_000, "Nasi goreng"), (18_000, "Es kopi susu")] {
        app.store
            .execute(
                &WalletOperation::Payment {
                    customer: c.clone(),
                    merchant: app.accounts.merchant.id.clone(),
                    amount: idr(amount),
                    hold_minutes: None,
                    description: what.into(),
                },
                now,
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn only_a_verified_caller_gets_an_unlock_and_every_step_is_audited() {
    let app = spawn_app_with(config(|c| {
        c.security.throttle_after_failures = 5;
        c.security.lock_after_failures = 2;
    }))
    .await;
    history(&app).await;
    for _ in 0..2 {
        sign_in_token(
            &app,
            json!({"audience": "customer", "login": "siti@example.id", "password": "wrong wrong"}),
        )
        .await;
    }
    let agent = app.staff_token(&app.accounts.agent).await;
    let customer_token = app.token("customer", "budi@example.id").await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let id = app.accounts.customer.id.to_string();
    let url = |rest: &str| format!("/api/v1/customers/{id}/{rest}");

    let status = app.get(&url("protection"), Some(&agent)).await.json();
    assert_eq!(status["locked"], true);
    // No verification yet: refused, and the refusal is on record.
    app.call(Method::POST, &url("unlock"), Some(&agent), None)
        .await
        .assert_problem(409, "verification_required");
    // Customers and merchant staff never reach these routes.
    for t in [&customer_token, &merchant] {
        app.call(Method::POST, &url("unlock"), Some(t), None)
            .await
            .assert_problem(403, "forbidden");
        app.call(
            Method::POST,
            &url("verifications"),
            Some(t),
            Some(json!({"method": "transactions"})),
        )
        .await
        .assert_problem(403, "forbidden");
    }

    // A caller who names a decoy fails.
    let start = |method: &'static str| {
        let app = &app;
        let agent = agent.clone();
        let url = url("verifications");
        async move {
            let a = app
                .call(
                    Method::POST,
                    &url,
                    Some(&agent),
                    Some(json!({"method": method})),
                )
                .await;
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
            a.json()
        }
    };
    let v = start("transactions").await;
    assert!(
        v["items"][0].get("genuine").is_none(),
        "the agent must not see which lines are real"
    );
    let stored = app
        .store
        .verification(v["id"].as_str().unwrap())
        .await
        .unwrap();
    assert!(stored.items.iter().filter(|i| i.genuine).count() >= 2);
    assert!(stored.items.iter().any(|i| !i.genuine));
    let all: Vec<String> = stored.items.iter().map(|i| i.id.clone()).collect();
    let answer_url = url(&format!(
        "verifications/{}/answer",
        v["id"].as_str().unwrap()
    ));
    let failed = app
        .call(
            Method::POST,
            &answer_url,
            Some(&agent),
            Some(json!({"named": all})),
        )
        .await;
    assert_eq!(failed.json()["state"], "failed");
    app.call(Method::POST, &url("unlock"), Some(&agent), None)
        .await
        .assert_problem(409, "verification_required");

    // Another agent cannot answer this agent's check.
    let v = start("transactions").await;
    let stored = app
        .store
        .verification(v["id"].as_str().unwrap())
        .await
        .unwrap();
    let genuine: Vec<String> = stored
        .items
        .iter()
        .filter(|i| i.genuine)
        .map(|i| i.id.clone())
        .collect();
    let answer_url = url(&format!("verifications/{}/answer", stored.id));
    let supervisor = app.staff_token(&app.accounts.supervisor).await;
    app.call(
        Method::POST,
        &answer_url,
        Some(&supervisor),
        Some(json!({"named": genuine})),
    )
    .await
    .assert_problem(404, "not_found");
    let passed = app
        .call(
            Method::POST,
            &answer_url,
            Some(&agent),
            Some(json!({"named": genuine})),
        )
        .await;
    assert_eq!(passed.json()["state"], "passed", "{}", passed.body);
    let unlocked = app
        .call(Method::POST, &url("unlock"), Some(&agent), None)
        .await;
    assert_eq!(unlocked.status, StatusCode::NO_CONTENT, "{}", unlocked.body);
    assert_eq!(
        app.get(&url("protection"), Some(&agent)).await.json()["locked"],
        false
    );
    let back = sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await;
    assert_eq!(back.status, StatusCode::CREATED, "{}", back.body);

    // The phone code: a wrong read-back leaves a try, the right one passes.
    let v = start("phone_code").await;
    let sms = notice(&app, &siti(&app), NoticeKind::VerificationCode).await;
    assert_eq!(sms.recipient, "+6281234567890");
    let code: String = sms
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let code = code
        .as_bytes()
        .windows(6)
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .find(|c| sms.body.contains(&format!(" {c}.")))
        .unwrap();
    let answer_url = url(&format!(
        "verifications/{}/answer",
        v["id"].as_str().unwrap()
    ));
    let retry = app
        .call(
            Method::POST,
            &answer_url,
            Some(&agent),
            Some(json!({"code": "000000"})),
        )
        .await;
    assert_eq!(retry.json()["state"], "pending");
    let ok = app
        .call(
            Method::POST,
            &answer_url,
            Some(&agent),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(ok.json()["state"], "passed", "{}", ok.body);
    // The agent sends a reset (never sees it) and the customer gets it.
    let sent = app
        .call(Method::POST, &url("password-reset"), Some(&agent), None)
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    assert!(!sent.body.contains("token"));
    notice(&app, &siti(&app), NoticeKind::PasswordReset).await;

    // The audit trail holds every step, the refusals too, and its chain is intact.
    let trail = app
        .store
        .customer_audit(&app.accounts.customer.id, 100)
        .await
        .unwrap();
    let actions: Vec<(String, String)> = trail
        .iter()
        .rev()
        .map(|e| (e.entry.action.clone(), e.entry.outcome.clone()))
        .collect();
    for expected in [
        ("account.locked", "ok"),
        ("account.unlock", "refused"),
        ("verification.answered", "failed"),
        ("verification.answered", "passed"),
        ("account.unlock", "ok"),
        ("verification.answered", "pending"),
        ("password_reset.sent", "ok"),
    ] {
        assert!(
            actions.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {actions:?}"
        );
    }
    assert!(
        trail
            .iter()
            .all(|e| e.entry.actor.starts_with("staff:") || e.entry.actor == "system")
    );
    let n = app.store.verify_audit_log().await.unwrap().unwrap();
    assert!(n >= 8, "{n}");
    let state = app
        .store
        .verifications(&app.accounts.customer.id, 10)
        .await
        .unwrap();
    assert!(state.iter().any(|v| v.state == VerificationState::Failed));
}

#[tokio::test]
async fn an_edited_audit_record_breaks_the_chain() {
    let app = spawn_app().await;
    for i in 0..4 {
        server::protection::audit(
            &app.state,
            "staff:test",
            "account.unlock",
            Some(app.accounts.customer.id.as_str()),
            if i == 2 { "refused" } else { "ok" },
            json!({"n": i}),
            server::now_us(),
        )
        .await
        .unwrap();
    }
    assert_eq!(app.store.verify_audit_log().await.unwrap(), Ok(4));
    app.store.tamper_with_audit_record(3, "ok").await.unwrap();
    assert_eq!(
        app.store.verify_audit_log().await.unwrap(),
        Err(domain::protection::ChainBreak::Edited(3))
    );
}

#[tokio::test]
async fn a_2fa_reset_waits_then_takes_effect_unless_the_holder_signs_in_with_a_code() {
    let app = spawn_app_with(config(|c| c.security.totp_reset_wait_hours = 24)).await;
    history(&app).await;
    let token = app.customer_token().await;
    let (secret, _) = enrol(&app, &token).await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let id = app.accounts.customer.id.to_string();
    app.call(
        Method::POST,
        &format!("/api/v1/customers/{id}/totp-reset"),
        Some(&agent),
        None,
    )
    .await
    .assert_problem(409, "verification_required");
    // Verify by the transactions check (reading the genuine lines from the store).
    let v = app
        .call(
            Method::POST,
            &format!("/api/v1/customers/{id}/verifications"),
            Some(&agent),
            Some(json!({"method": "transactions"})),
        )
        .await
        .json();
    let stored = app
        .store
        .verification(v["id"].as_str().unwrap())
        .await
        .unwrap();
    let genuine: Vec<String> = stored
        .items
        .iter()
        .filter(|i| i.genuine)
        .map(|i| i.id.clone())
        .collect();
    app.call(
        Method::POST,
        &format!("/api/v1/customers/{id}/verifications/{}/answer", stored.id),
        Some(&agent),
        Some(json!({"named": genuine})),
    )
    .await;
    let scheduled = app
        .call(
            Method::POST,
            &format!("/api/v1/customers/{id}/totp-reset"),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.body);
    notice(&app, &siti(&app), NoticeKind::TotpResetScheduled).await;
    // Before the wait is over, 2FA still applies.
    sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await
    .assert_problem(401, "totp_required");
    // The holder signs in with a code: the reset is called off.
    let ok = sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD, "totp": code_now(&secret, 1)}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert!(
        app.store
            .totp(&siti(&app))
            .await
            .unwrap()
            .unwrap()
            .reset_effective_at_us
            .is_none()
    );
    // Scheduled again, and this time the wait runs out (clock moved by a parameter).
    let later = server::now_us() + 25 * 3_600 * S;
    app.store
        .schedule_totp_reset(&domain::protection::TotpResetRequest {
            user: siti(&app),
            requested_by: app.accounts.agent.id.clone(),
            effective_at_us: server::now_us() + 24 * 3_600 * S,
        })
        .await
        .unwrap();
    server::protection::housekeeping(&app.state, later)
        .await
        .unwrap();
    assert!(app.store.totp(&siti(&app)).await.unwrap().is_none());
    notice(&app, &siti(&app), NoticeKind::TotpResetDone).await;
    let back = sign_in_token(
        &app,
        json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
    )
    .await;
    assert_eq!(back.status, StatusCode::CREATED, "{}", back.body);
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_by_their_owner_only() {
    let app = spawn_app().await;
    let a = app.customer_token().await;
    let b = app.customer_token().await;
    let other = app.token("customer", "budi@example.id").await;
    let list = app.get("/api/v1/me/sessions", Some(&a)).await.json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let b_id = items.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !list.to_string().contains(&a) && !list.to_string().contains(&b),
        "tokens never listed"
    );
    // Another customer's session id is not found for someone else.
    app.call(
        Method::DELETE,
        &format!("/api/v1/me/sessions/{b_id}"),
        Some(&other),
        None,
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/me", Some(&b)).await.status, StatusCode::OK);
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/sessions/{b_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/me", Some(&b))
        .await
        .assert_problem(401, "unauthenticated");
    let c = app.customer_token().await;
    let ended = app
        .call(
            Method::POST,
            "/api/v1/me/sessions/revoke-others",
            Some(&a),
            None,
        )
        .await
        .json();
    assert_eq!(ended["ended"], 1);
    app.get("/api/v1/me", Some(&c))
        .await
        .assert_problem(401, "unauthenticated");
    assert_eq!(app.get("/api/v1/me", Some(&a)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", Some(&other)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_reported() {
    let app = spawn_app().await;
    let with_agent = |ua: &'static str| {
        let app = &app;
        async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/auth/tokens")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::USER_AGENT, ua)
                .body(Body::from(
                    json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}).to_string(),
                ))
                .unwrap();
            assert_eq!(app.send(req).await.status, StatusCode::CREATED);
        }
    };
    with_agent("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile").await;
    with_agent("Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile").await;
    let none = app
        .store
        .notifications(Some(&siti(&app)), 10)
        .await
        .unwrap();
    assert!(
        none.iter().all(|n| n.kind != NoticeKind::NewDevice),
        "{none:?}"
    );
    with_agent("Mozilla/5.0 (Windows NT 10.0) Firefox/128.0").await;
    let n = notice(&app, &siti(&app), NoticeKind::NewDevice).await;
    assert!(n.body.contains("Firefox"), "{}", n.body);
}

#[tokio::test]
async fn security_page_forms_need_the_session_csrf_token() {
    let app = spawn_app().await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let page = app.page("/security", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"session-row\""));
    let csrf = csrf_of(&page.body);
    for path in [
        "/security/totp/start",
        "/security/password",
        "/security/sessions/revoke-others",
        "/security/totp/disable",
    ] {
        let refused = app
            .post_form(path, &[("csrf", "forged")], Some(&cookie))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let started = app
        .post_form("/security/totp/start", &[("csrf", &csrf)], Some(&cookie))
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let page = app.page("/security", Some(&cookie)).await;
    assert!(page.body.contains("<svg"), "QR code drawn by the server");
    assert!(page.body.contains("data-testid=\"totp-secret\""));
    // The agent's access page forms too.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let id = app.accounts.customer.id.to_string();
    let access = app
        .page(&format!("/staff/customers/{id}/access"), Some(&agent))
        .await;
    assert_eq!(access.status, StatusCode::OK);
    let refused = app
        .post_form(
            &format!("/staff/customers/{id}/access/do/unlock"),
            &[("csrf", "forged")],
            Some(&agent),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let customer_on_staff_page = app
        .page(&format!("/staff/customers/{id}/access"), Some(&cookie))
        .await;
    assert_eq!(customer_on_staff_page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_developer_mailbox_exists_only_when_switched_on() {
    let off = spawn_app().await;
    assert_eq!(
        off.page("/dev/mailbox", None).await.status,
        StatusCode::NOT_FOUND
    );
    let on = spawn_app_with(config(|c| c.security.dev_mailbox = true)).await;
    on.call(
        Method::POST,
        "/api/v1/auth/password-resets",
        None,
        Some(json!({"login": "+62 812 3456 7890"})),
    )
    .await;
    let sms = notice(
        &on,
        &UserId::Customer(on.accounts.customer.id.clone()),
        NoticeKind::PasswordReset,
    )
    .await;
    assert_eq!(sms.channel, domain::protection::NoticeChannel::Sms);
    let page = on.page("/dev/mailbox", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/reset?token="), "{}", page.body);
}
