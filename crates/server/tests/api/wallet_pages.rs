//! Wallet pages: the customer's history with filters, pages and CSV export; the detail
//! with failure explanations, notes, flags and refund requests; the staff and merchant
//! views; and the CSRF and scoping rules of every form.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::repo::WalletRepo;
use domain::wallet::{FailureReason, WalletOperation, WalletTransaction};
use domain::{Currency, CustomerId, MerchantId, Money};

fn idr(major: i64) -> Money {
    Money::major(major, Currency::IDR).unwrap()
}

fn at(rfc3339: &str) -> i64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

async fn top_up(app: &TestApp, customer: &CustomerId, major: i64, at_us: i64) -> WalletTransaction {
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: customer.clone(),
                amount: idr(major),
            },
            at_us,
        )
        .await
        .unwrap()
}

fn payment_op(
    customer: &CustomerId,
    merchant: &MerchantId,
    major: i64,
    what: &str,
) -> WalletOperation {
    WalletOperation::Payment {
        customer: customer.clone(),
        merchant: merchant.clone(),
        amount: idr(major),
        hold_minutes: None,
        description: what.into(),
    }
}

async fn pay(
    app: &TestApp,
    customer: &CustomerId,
    merchant: &MerchantId,
    major: i64,
    what: &str,
    at_us: i64,
) -> WalletTransaction {
    app.store
        .execute(&payment_op(customer, merchant, major, what), at_us)
        .await
        .unwrap()
}

async fn available(app: &TestApp, customer: &CustomerId) -> i64 {
    app.store
        .wallet_balance(customer, Currency::IDR)
        .await
        .unwrap()
        .available()
}

/// Siti's history: an old top-up, two payments on either side of midnight in Jakarta,
/// small payments, the Warung Nusantara lunch, a large unusual payment, a payment refused
/// for balance and one stopped by risk checks. Budi has a lunch of his own.
struct History {
    nasi: WalletTransaction,
    kopi_susu: WalletTransaction,
    refused: WalletTransaction,
    blocked: WalletTransaction,
    budi_lunch: WalletTransaction,
}

async fn history(app: &TestApp) -> History {
    let siti = app.accounts.customer.id.clone();
    let budi = app.accounts.other_customer.id.clone();
    let warung = app.accounts.merchant.id.clone();
    let kopi = app.accounts.other_merchant.id.clone();
    top_up(app, &siti, 2_000_000, at("2026-01-01T00:00:00Z")).await;
    // 10:30 in Jakarta on 10 January, and 01:00 on 11 January (18:00 UTC on the 10th).
    pay(
        app,
        &siti,
        &kopi,
        20_000,
        "Old coffee",
        at("2026-01-10T03:30:00Z"),
    )
    .await;
    pay(
        app,
        &siti,
        &kopi,
        20_000,
        "Late snack",
        at("2026-01-10T18:00:00Z"),
    )
    .await;
    let base = server::now_us() - 2 * 3_600_000_000;
    let min = 60_000_000;
    for i in 0..5 {
        pay(app, &siti, &kopi, 10_000, "Es jeruk", base + i * min).await;
    }
    let nasi = pay(
        app,
        &siti,
        &warung,
        35_000,
        "Nasi goreng & es teh",
        base + 10 * min,
    )
    .await;
    let kopi_susu = pay(app, &siti, &kopi, 120_000, "Kopi susu", base + 11 * min).await;
    let refused = pay(app, &siti, &warung, 5_000_000, "Big TV", base + 12 * min).await;
    let blocked = app
        .store
        .record_failure(
            &payment_op(&siti, &warung, 50_000, "Blocked gadget"),
            FailureReason::BlockedByRisk,
            base + 13 * min,
        )
        .await
        .unwrap();
    top_up(app, &budi, 100_000, base).await;
    let budi_lunch = pay(app, &budi, &warung, 15_000, "Lunch Budi", base + 14 * min).await;
    History {
        nasi,
        kopi_susu,
        refused,
        blocked,
        budi_lunch,
    }
}

async fn siti(app: &TestApp) -> String {
    app.page_session("/signin", "siti@example.id").await
}

async fn budi(app: &TestApp) -> String {
    app.page_session("/signin", "budi@example.id").await
}

fn rows(html: &str) -> usize {
    html.matches("data-testid=\"tx-row\"").count()
}

/// The `href` of the first link whose tag contains `marker`, HTML entities undone.
fn href_with(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&"))
}

/// Posts a form on a page (reading its CSRF token first).
async fn submit(
    app: &TestApp,
    cookie: &str,
    page: &str,
    action: &str,
    form: &[(&str, &str)],
) -> Answer {
    let html = app.page(page, Some(cookie)).await.body;
    let csrf = csrf_of(&html);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    app.post_form(action, &fields, Some(cookie)).await
}

#[tokio::test]
async fn the_history_lists_newest_first_and_filters() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;

    let home = app.page("/home", Some(&cookie)).await;
    assert!(
        home.body.contains("href=\"/wallet\""),
        "a nav link and the home link"
    );
    let balance = available(&app, &app.accounts.customer.id).await;
    let shown = Money::new(balance, Currency::IDR).to_string();
    assert!(home.body.contains(&shown), "home shows {shown}");

    let all = app.page("/wallet", Some(&cookie)).await;
    assert_eq!(all.status, StatusCode::OK);
    let b = &all.body;
    assert!(b.contains(&shown), "balance at the top");
    assert!(b.contains("Nasi goreng &#38; es teh"));
    assert!(b.contains("Warung Nusantara"));
    assert!(
        b.contains("\u{2212} IDR 35,000"),
        "outgoing amounts carry a minus"
    );
    assert!(b.contains(&h.nasi.reference));
    assert!(b.contains(&format!("href=\"/wallet/tx/{}\"", h.nasi.id)));
    assert!(b.contains("Not enough balance"), "a failed row says why");
    assert!(
        b.contains("data-testid=\"unusual\""),
        "the unusual payment is marked"
    );
    assert!(!b.contains("Lunch Budi"), "only her own wallet");
    let newest = b.find("Blocked gadget").unwrap();
    assert!(
        newest < b.find("Kopi susu").unwrap()
            && b.find("Kopi susu").unwrap() < b.find("Nasi goreng").unwrap()
    );

    let kinds = app.page("/wallet?kind=top_up", Some(&cookie)).await.body;
    assert_eq!(rows(&kinds), 1);
    assert!(kinds.contains("+ IDR 2,000,000"));

    let failed = app.page("/wallet?status=failed", Some(&cookie)).await.body;
    assert_eq!(rows(&failed), 2);
    assert!(failed.contains("Big TV") && failed.contains("Blocked gadget"));
    assert!(failed.contains("Stopped by security checks"));

    let text = app.page("/wallet?q=warung", Some(&cookie)).await.body;
    assert_eq!(rows(&text), 3, "the lunch, the TV and the gadget");
    assert!(!text.contains("Kopi susu"));
    assert!(
        text.contains("value=\"warung\""),
        "the form keeps the filter"
    );

    let big = app.page("/wallet?min=100000", Some(&cookie)).await.body;
    assert!(big.contains("Kopi susu") && big.contains("Big TV"));
    assert!(!big.contains("Nasi goreng"));
    let small = app
        .page("/wallet?max=50.000&kind=payment", Some(&cookie))
        .await
        .body;
    assert!(small.contains("Nasi goreng") && small.contains("Es jeruk"));
    assert!(!small.contains("Kopi susu") && !small.contains("Big TV"));

    // Days are the customer's days (Jakarta), not UTC's.
    let tenth = app
        .page("/wallet?from=2026-01-10&to=2026-01-10", Some(&cookie))
        .await
        .body;
    assert_eq!(rows(&tenth), 1, "{tenth}");
    assert!(tenth.contains("Old coffee") && tenth.contains("2026-01-10 10:30"));
    let eleventh = app
        .page("/wallet?from=2026-01-11&to=2026-01-11", Some(&cookie))
        .await
        .body;
    assert_eq!(rows(&eleventh), 1);
    assert!(eleventh.contains("Late snack") && eleventh.contains("2026-01-11 01:00"));

    for (query, message) in [
        ("from=25%2F11%2F2026", "Enter dates like 2026-11-25."),
        ("min=lots", "Enter amounts in whole rupiah"),
        (
            "min=100000&max=10",
            "The maximum amount is below the minimum.",
        ),
        ("kind=lottery", "This filter cannot be used."),
        ("cursor=not-a-cursor", "This page link no longer works."),
    ] {
        let a = app.page(&format!("/wallet?{query}"), Some(&cookie)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(a.body.contains("role=\"alert\""), "{query}");
        assert!(a.body.contains(message), "{query}: {}", a.body);
    }

    // Budi sees his own lunch and nothing of Siti's.
    let other = app.page("/wallet", Some(&budi(&app).await)).await.body;
    assert!(other.contains("Lunch Budi"));
    assert!(!other.contains("Nasi goreng"));
    // Signed out: to the sign-in page and back.
    let anon = app.page("/wallet?q=x", None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.header("location").starts_with("/signin?next=/wallet"));
    let _ = (h.kopi_susu, h.refused, h.blocked, h.budi_lunch);
}

#[tokio::test]
async fn older_pages_keep_the_filters() {
    let app = spawn_app().await;
    let siti_id = app.accounts.customer.id.clone();
    let start = server::now_us() - 3_600_000_000;
    for i in 0..30 {
        top_up(&app, &siti_id, 1_000 + i, start + i * 1_000_000).await;
    }
    pay(
        &app,
        &siti_id,
        &app.accounts.merchant.id,
        500,
        "Not a top-up",
        start + 40_000_000,
    )
    .await;
    let cookie = siti(&app).await;
    let first = app.page("/wallet?kind=top_up", Some(&cookie)).await.body;
    assert_eq!(rows(&first), 25);
    assert!(first.contains("IDR 1,029"), "newest first");
    assert!(!first.contains("Not a top-up"));
    let older = href_with(&first, "rel=\"next\"").expect("an older-transactions link");
    assert!(older.starts_with("/wallet?kind=top_up&cursor="), "{older}");
    let second = app.page(&older, Some(&cookie)).await.body;
    assert_eq!(rows(&second), 5);
    assert!(second.contains("IDR 1,000") && !second.contains("IDR 1,029"));
    assert!(
        href_with(&second, "rel=\"next\"").is_none(),
        "the last page"
    );
    assert!(
        second.contains("href=\"/wallet?kind=top_up\""),
        "back to the newest"
    );
}

#[tokio::test]
async fn the_csv_export_is_the_customers_filtered_history() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;
    let page = app.page("/wallet?q=warung", Some(&cookie)).await.body;
    assert!(page.contains("href=\"/wallet/export.csv?q=warung\""));
    let csv = app.page("/wallet/export.csv?q=warung", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "date,reference,type,status,amount,currency,merchant,description,failure_reason"
    );
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(csv.body.contains(&h.nasi.reference));
    assert!(csv.body.contains("-35000.00"));
    assert!(csv.body.contains("insufficient_balance"));
    assert!(!csv.body.contains("Kopi susu"));

    let everything = app.page("/wallet/export.csv", Some(&cookie)).await.body;
    assert_eq!(everything.lines().count(), 1 + 12);
    assert!(
        !everything.contains(&h.budi_lunch.reference),
        "only her own wallet"
    );
    let budis = app
        .page("/wallet/export.csv", Some(&budi(&app).await))
        .await
        .body;
    assert!(budis.contains(&h.budi_lunch.reference));
    assert!(!budis.contains(&h.nasi.reference));

    // Unusable filters go back to the history page, which says what is wrong.
    let bad = app.page("/wallet/export.csv?min=lots", Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
    assert_eq!(bad.header("location"), "/wallet?min=lots");
    assert_eq!(
        app.page("/wallet/export.csv", None).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_detail_explains_failures_and_unusual_activity() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;
    let refused = app
        .page(&format!("/wallet/tx/{}", h.refused.id), Some(&cookie))
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    let b = &refused.body;
    assert!(b.contains("Why it failed"));
    assert!(b.contains("Your balance was not enough for this transaction."));
    assert!(b.contains("What to do next"));
    assert!(b.contains("Top up your wallet, then try again."));
    assert!(b.contains(&h.refused.reference));
    assert!(b.contains("Failed"));
    assert!(
        !b.contains("data-testid=\"refund-form\""),
        "a failed payment is not refundable"
    );

    let blocked = app
        .page(&format!("/wallet/tx/{}", h.blocked.id), Some(&cookie))
        .await
        .body;
    assert!(blocked.contains("Our security checks stopped this transaction"));
    assert!(blocked.contains(&format!(
        "Contact support and quote the reference {}.",
        h.blocked.reference
    )));

    let unusual = app
        .page(&format!("/wallet/tx/{}", h.kopi_susu.id), Some(&cookie))
        .await
        .body;
    assert!(unusual.contains("Unusual activity"));
    assert!(unusual.contains("Marked as unusual: the amount is far above what you usually spend."));
    assert!(!unusual.contains("Why it failed"));

    let ok = app
        .page(&format!("/wallet/tx/{}", h.nasi.id), Some(&cookie))
        .await
        .body;
    assert!(ok.contains("Nasi goreng &#38; es teh") && ok.contains("Warung Nusantara"));
    assert!(ok.contains("\u{2212} IDR 35,000"));
    assert!(ok.contains("Succeeded"));
    assert!(ok.contains("data-testid=\"refund-form\""));
    assert!(
        ok.contains("name=\"amount\" inputmode=\"numeric\" value=\"35000\""),
        "the full amount by default"
    );

    // Another customer's transaction, a made-up one and a malformed id: all the same 404.
    let other = budi(&app).await;
    for id in [
        h.nasi.id.clone(),
        uuid::Uuid::now_v7().to_string(),
        "nope".into(),
    ] {
        let a = app.page(&format!("/wallet/tx/{id}"), Some(&other)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{id}");
        assert!(a.body.contains("We could not find this page."));
    }
}

#[tokio::test]
async fn notes_are_added_edited_deleted_and_private() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;
    let detail = format!("/wallet/tx/{}", h.nasi.id);

    let added = submit(
        &app,
        &cookie,
        &detail,
        &format!("{detail}/notes"),
        &[("body", "Lunch with Dewi")],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(
        added.header("location"),
        format!("{detail}?done=note-added")
    );
    let page = app.page(added.header("location"), Some(&cookie)).await.body;
    assert!(page.contains("Note added."));
    assert!(page.contains("Lunch with Dewi"));
    let notes = app
        .store
        .notes(&h.nasi.id, &app.accounts.customer.id)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    let note = notes[0].id.clone();

    let empty = submit(
        &app,
        &cookie,
        &detail,
        &format!("{detail}/notes"),
        &[("body", "   ")],
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("role=\"alert\""));
    assert!(empty.body.contains("A note needs 1 to 2,000 characters."));

    let edit = format!("/wallet/notes/{note}");
    let edited = submit(
        &app,
        &cookie,
        &detail,
        &edit,
        &[("body", "Lunch with Dewi and Rina"), ("tx", &h.nasi.id)],
    )
    .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    assert_eq!(
        edited.header("location"),
        format!("{detail}?done=note-saved")
    );
    let page = app.page(&detail, Some(&cookie)).await.body;
    assert!(page.contains("Lunch with Dewi and Rina"));
    let blank = submit(
        &app,
        &cookie,
        &detail,
        &edit,
        &[("body", ""), ("tx", &h.nasi.id)],
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank.body.contains("<details open>"),
        "the failed edit stays open"
    );

    // Budi can neither see nor change it, whichever transaction he names.
    let other = budi(&app).await;
    assert_eq!(
        app.page(&detail, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    let budi_detail = format!("/wallet/tx/{}", h.budi_lunch.id);
    for tx in [h.nasi.id.as_str(), h.budi_lunch.id.as_str()] {
        let a = submit(
            &app,
            &other,
            &budi_detail,
            &edit,
            &[("body", "mine now"), ("tx", tx)],
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "edit via {tx}");
        let a = submit(
            &app,
            &other,
            &budi_detail,
            &format!("{edit}/delete"),
            &[("tx", tx)],
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "delete via {tx}");
    }
    let a = submit(
        &app,
        &other,
        &budi_detail,
        &format!("{detail}/notes"),
        &[("body", "sneaky")],
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let notes = app
        .store
        .notes(&h.nasi.id, &app.accounts.customer.id)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body, "Lunch with Dewi and Rina");

    // Support sees the transaction, never the customer's notes.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let staff_view = app
        .page(&format!("/staff/tx/{}", h.nasi.id), Some(&agent))
        .await
        .body;
    assert!(staff_view.contains(&h.nasi.reference));
    assert!(!staff_view.contains("Lunch with Dewi"));

    let deleted = submit(
        &app,
        &cookie,
        &detail,
        &format!("{edit}/delete"),
        &[("tx", &h.nasi.id)],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        deleted.header("location"),
        format!("{detail}?done=note-deleted")
    );
    let page = app
        .page(deleted.header("location"), Some(&cookie))
        .await
        .body;
    assert!(page.contains("Note deleted."));
    assert!(!page.contains("Lunch with Dewi"));
}

#[tokio::test]
async fn a_transaction_is_flagged_once() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;
    let detail = format!("/wallet/tx/{}", h.kopi_susu.id);
    let flag = format!("{detail}/flag");
    let page = app.page(&detail, Some(&cookie)).await.body;
    assert!(page.contains("data-testid=\"flag-form\""));
    assert!(page.contains("I don&#39;t recognise it"));

    let no_reason = submit(
        &app,
        &cookie,
        &detail,
        &flag,
        &[("reason", "bored"), ("comment", "hm")],
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason
            .body
            .contains("Choose what is wrong with this transaction.")
    );
    assert!(
        no_reason.body.contains(">hm</textarea>"),
        "the comment is kept"
    );

    let flagged = submit(
        &app,
        &cookie,
        &detail,
        &flag,
        &[
            ("reason", "not_recognised"),
            ("comment", "Never bought this"),
        ],
    )
    .await;
    assert_eq!(flagged.status, StatusCode::SEE_OTHER);
    let page = app
        .page(flagged.header("location"), Some(&cookie))
        .await
        .body;
    assert!(page.contains("We received your report"));
    assert!(page.contains("You reported this transaction. Status: Open"));
    assert!(!page.contains("data-testid=\"flag-form\""));

    // The form is gone, but a second post (another tab) is answered in words.
    let page_csrf = csrf_of(&page);
    let again = app
        .post_form(
            &flag,
            &[("csrf", &page_csrf), ("reason", "improper")],
            Some(&cookie),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("role=\"alert\""));
    assert!(
        again
            .body
            .contains("You have already reported this transaction.")
    );
    assert_eq!(app.store.flags(&h.kopi_susu.id).await.unwrap().len(), 1);

    // Support sees the flag on the customer's profile and the transaction.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let profile = app
        .page(
            &format!("/staff/customers/{}", app.accounts.customer.id),
            Some(&agent),
        )
        .await
        .body;
    assert!(profile.contains("Recent transactions"));
    assert!(profile.contains(&format!("href=\"/staff/tx/{}\"", h.kopi_susu.id)));
    assert_eq!(
        rows(&profile),
        12,
        "all of her 12 transactions (at most 20)"
    );
    let staff_view = app
        .page(&format!("/staff/tx/{}", h.kopi_susu.id), Some(&agent))
        .await;
    assert_eq!(staff_view.status, StatusCode::OK);
    assert!(staff_view.body.contains("Reports from the customer"));
    assert!(
        staff_view.body.contains("Siti Rahayu"),
        "names the customer"
    );
    assert!(staff_view.body.contains("Not recognised"));
    assert!(staff_view.body.contains("Never bought this"));
    assert!(!staff_view.body.contains("data-testid=\"flag-form\""));
    // Agents see any customer's transaction; customers and merchants not the staff page.
    assert_eq!(
        app.page(&format!("/staff/tx/{}", h.budi_lunch.id), Some(&agent))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.page(&format!("/staff/tx/{}", h.nasi.id), Some(&cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    assert_eq!(
        app.page(&format!("/staff/tx/{}", h.nasi.id), Some(&merchant))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn refunds_get_the_policys_answer_and_merchants_decide() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let siti_id = app.accounts.customer.id.clone();
    let cookie = siti(&app).await;
    let detail = format!("/wallet/tx/{}", h.nasi.id);
    let refund = format!("{detail}/refund");

    let bad = submit(
        &app,
        &cookie,
        &detail,
        &refund,
        &[("amount", "ten"), ("reason", "not_received")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter an amount like 15000."));
    assert!(
        bad.body.contains("value=\"ten\""),
        "the amount typed is kept"
    );
    let bad = submit(
        &app,
        &cookie,
        &detail,
        &refund,
        &[("amount", "10000"), ("reason", "")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Choose a reason for the refund."));

    // Below the merchant's automatic limit (IDR 50,000 by default): approved and paid.
    let before = available(&app, &siti_id).await;
    let small = submit(
        &app,
        &cookie,
        &detail,
        &refund,
        &[("amount", "10.000"), ("reason", "not_received")],
    )
    .await;
    assert_eq!(small.status, StatusCode::SEE_OTHER, "{}", small.body);
    assert!(
        small
            .header("location")
            .starts_with(&format!("{detail}?done=refund&refund="))
    );
    let page = app.page(small.header("location"), Some(&cookie)).await.body;
    assert!(page.contains("data-testid=\"refund-answer\""));
    assert!(page.contains("Your refund request: Refunded"));
    assert!(
        page.contains("Approved automatically: the amount is below the merchant&#39;s limit"),
        "{page}"
    );
    assert_eq!(
        available(&app, &siti_id).await,
        before + 10_000_00,
        "the money came back"
    );
    assert!(
        page.contains("value=\"25000\""),
        "the form now offers what remains"
    );

    // At or above the limit: the merchant decides.
    let big_payment = pay(
        &app,
        &siti_id,
        &app.accounts.merchant.id,
        300_000,
        "Rice cooker",
        server::now_us(),
    )
    .await;
    let big_detail = format!("/wallet/tx/{}", big_payment.id);
    let before = available(&app, &siti_id).await;
    let big = submit(
        &app,
        &cookie,
        &big_detail,
        &format!("{big_detail}/refund"),
        &[("amount", "80000"), ("reason", "damaged")],
    )
    .await;
    assert_eq!(big.status, StatusCode::SEE_OTHER);
    let page = app.page(big.header("location"), Some(&cookie)).await.body;
    assert!(page.contains("Your refund request: Waiting for the merchant"));
    assert!(page.contains("Sent to the merchant: refunds of this size need the merchant"));
    assert_eq!(available(&app, &siti_id).await, before, "nothing moves yet");
    let second = submit(
        &app,
        &cookie,
        &big_detail,
        &format!("{big_detail}/refund"),
        &[("amount", "60000"), ("reason", "damaged")],
    )
    .await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);

    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let console = app.page("/staff", Some(&merchant)).await.body;
    assert!(console.contains("href=\"/staff/merchant/refunds\""));
    let queue = app.page("/staff/merchant/refunds", Some(&merchant)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(
        queue
            .body
            .matches("data-testid=\"merchant-refund\"")
            .count(),
        3
    );
    let first_item = queue.body.find("data-testid=\"merchant-refund\"").unwrap();
    let first_pending = queue.body.find("refund-pending").unwrap();
    assert!(
        first_pending < first_item,
        "requests waiting for a decision come first"
    );
    assert!(queue.body.contains(&big_payment.reference));
    let refunds = app.store.refunds_of_payment(&big_payment.id).await.unwrap();
    let (first_refund, second_refund) = (refunds[0].id.clone(), refunds[1].id.clone());

    let approved = submit(
        &app,
        &merchant,
        "/staff/merchant/refunds",
        &format!("/staff/merchant/refunds/{first_refund}"),
        &[("approve", "true"), ("note", "")],
    )
    .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(
        approved.header("location"),
        "/staff/merchant/refunds?done=approved"
    );
    assert!(
        app.page(approved.header("location"), Some(&merchant))
            .await
            .body
            .contains("Refund approved.")
    );
    assert_eq!(available(&app, &siti_id).await, before + 80_000_00);

    let no_note = submit(
        &app,
        &merchant,
        "/staff/merchant/refunds",
        &format!("/staff/merchant/refunds/{second_refund}"),
        &[("approve", "false"), ("note", " ")],
    )
    .await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_note
            .body
            .contains("Tell the customer why when you reject a refund.")
    );
    let rejected = submit(
        &app,
        &merchant,
        "/staff/merchant/refunds",
        &format!("/staff/merchant/refunds/{second_refund}"),
        &[
            ("approve", "false"),
            ("note", "The cooker works; please bring it to the shop"),
        ],
    )
    .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let again = submit(
        &app,
        &merchant,
        "/staff/merchant/refunds",
        &format!("/staff/merchant/refunds/{second_refund}"),
        &[("approve", "true")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("This refund has already been decided."));
    assert_eq!(available(&app, &siti_id).await, before + 80_000_00);

    let page = app.page(&big_detail, Some(&cookie)).await.body;
    assert!(page.contains("The merchant rejected the request."));
    assert!(page.contains("The cooker works; please bring it to the shop"));
    assert!(page.contains("Refunded") && page.contains("Rejected"));

    // Kopi Senja's refund is not Warung Nusantara's to decide, nor to see.
    let kopi_detail = format!("/wallet/tx/{}", h.kopi_susu.id);
    let kopi = submit(
        &app,
        &cookie,
        &kopi_detail,
        &format!("{kopi_detail}/refund"),
        &[("amount", "100000"), ("reason", "not_received")],
    )
    .await;
    assert_eq!(kopi.status, StatusCode::SEE_OTHER);
    let kopi_refund = app.store.refunds_of_payment(&h.kopi_susu.id).await.unwrap()[0]
        .id
        .clone();
    let queue = app
        .page("/staff/merchant/refunds", Some(&merchant))
        .await
        .body;
    assert!(!queue.contains(&kopi_refund));
    for id in [kopi_refund.as_str(), "not-an-id"] {
        let a = submit(
            &app,
            &merchant,
            "/staff/merchant/refunds",
            &format!("/staff/merchant/refunds/{id}"),
            &[("approve", "true")],
        )
        .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(
        app.store.refund(&kopi_refund).await.unwrap().status,
        domain::wallet::RefundStatus::Requested
    );
    // The page is for merchant staff only.
    assert_eq!(
        app.page("/staff/merchant/refunds", Some(&cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    assert_eq!(
        app.page("/staff/merchant/refunds", Some(&agent))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn forms_need_the_session_csrf_token_and_this_origin() {
    let app = spawn_app().await;
    let h = history(&app).await;
    let cookie = siti(&app).await;
    let detail = format!("/wallet/tx/{}", h.nasi.id);
    let csrf = csrf_of(&app.page(&detail, Some(&cookie)).await.body);
    let before = available(&app, &app.accounts.customer.id).await;
    for (action, fields) in [
        (format!("{detail}/notes"), vec![("body", "hello")]),
        (format!("{detail}/flag"), vec![("reason", "improper")]),
        (
            format!("{detail}/refund"),
            vec![("amount", "10000"), ("reason", "not_received")],
        ),
    ] {
        let missing = app.post_form(&action, &fields, Some(&cookie)).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{action} without a token"
        );
        let mut wrong = fields.clone();
        wrong.push(("csrf", "not-the-token"));
        let a = app.post_form(&action, &wrong, Some(&cookie)).await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{action} with a wrong token"
        );
        // The right token from another site is still refused.
        let mut body = format!("csrf={}", urlencode(&csrf));
        for (k, v) in &fields {
            body.push_str(&format!("&{k}={}", urlencode(v)));
        }
        let req = Request::builder()
            .method(Method::POST)
            .uri(&action)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "paydesk.test")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, &cookie)
            .body(Body::from(body))
            .unwrap();
        assert_eq!(
            app.send(req).await.status,
            StatusCode::FORBIDDEN,
            "{action} cross-site"
        );
    }
    assert!(
        app.store
            .notes(&h.nasi.id, &app.accounts.customer.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(app.store.flags(&h.nasi.id).await.unwrap().is_empty());
    assert!(
        app.store
            .refunds_of_payment(&h.nasi.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(available(&app, &app.accounts.customer.id).await, before);

    // The merchant's decision form too.
    let big = pay(
        &app,
        &app.accounts.customer.id,
        &app.accounts.merchant.id,
        300_000,
        "Rice cooker",
        server::now_us(),
    )
    .await;
    let refund = app
        .store
        .request_refund(
            &big.id,
            100_000_00,
            domain::wallet::RefundReason::Damaged,
            server::now_us(),
        )
        .await
        .unwrap();
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let a = app
        .post_form(
            &format!("/staff/merchant/refunds/{}", refund.id),
            &[("approve", "true")],
            Some(&merchant),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.refund(&refund.id).await.unwrap().status,
        domain::wallet::RefundStatus::Requested
    );
}

#[tokio::test]
async fn support_decides_refunds_on_the_transaction_page_within_their_role() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.id.clone();
    let now = server::now_us();
    top_up(&app, &siti, 500_000, now).await;
    let payment = pay(
        &app,
        &siti,
        &app.accounts.merchant.id,
        300_000,
        "Sepatu",
        now,
    )
    .await;
    // One waits for the merchant, one the merchant's rules rejected (changing one's mind).
    let waiting = app
        .store
        .request_refund(
            &payment.id,
            100_000_00,
            domain::wallet::RefundReason::Damaged,
            now,
        )
        .await
        .unwrap();
    let rejected = app
        .store
        .request_refund(
            &payment.id,
            20_000_00,
            domain::wallet::RefundReason::ChangedMind,
            now,
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, domain::wallet::RefundStatus::Rejected);
    let page = format!("/staff/tx/{}", payment.id);

    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let html = app.page(&page, Some(&agent)).await.body;
    assert_eq!(
        html.matches("data-testid=\"staff-decision\"").count(),
        1,
        "agents decide only what waits for the merchant"
    );
    // Agents approve; they cannot reject.
    let reject = submit(
        &app,
        &agent,
        &page,
        &format!("/staff/refunds/{}", waiting.id),
        &[("tx", &payment.id), ("approve", "false"), ("note", "no")],
    )
    .await;
    assert_eq!(reject.status, StatusCode::FORBIDDEN);
    let ok = submit(
        &app,
        &agent,
        &page,
        &format!("/staff/refunds/{}", waiting.id),
        &[("tx", &payment.id), ("approve", "true"), ("note", "")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.header("location").ends_with("done=refund-decided"));
    assert_eq!(
        app.store.refund(&waiting.id).await.unwrap().status,
        domain::wallet::RefundStatus::Succeeded
    );

    // A supervisor may make an exception to the merchant's rules, with a reason.
    let supervisor = app
        .page_session("/staff/signin", "supervisor@example.id")
        .await;
    let html = app.page(&page, Some(&supervisor)).await.body;
    assert_eq!(html.matches("data-testid=\"staff-decision\"").count(), 1);
    let no_reason = submit(
        &app,
        &supervisor,
        &page,
        &format!("/staff/refunds/{}", rejected.id),
        &[
            ("tx", &payment.id),
            ("approve", "true"),
            ("override_policy", "true"),
        ],
    )
    .await;
    assert!(no_reason.header("location").ends_with("done=note-required"));
    let shown = app
        .page(no_reason.header("location"), Some(&supervisor))
        .await;
    assert!(shown.body.contains("role=\"alert\""));
    let exception = submit(
        &app,
        &supervisor,
        &page,
        &format!("/staff/refunds/{}", rejected.id),
        &[
            ("tx", &payment.id),
            ("approve", "true"),
            ("override_policy", "true"),
            ("note", "Delivery was two weeks late"),
        ],
    )
    .await;
    assert_eq!(exception.status, StatusCode::SEE_OTHER);
    let decided = app.store.refund(&rejected.id).await.unwrap();
    assert_eq!(decided.status, domain::wallet::RefundStatus::Succeeded);
    assert_eq!(decided.rule["rule"], "policy_overridden");
    assert_eq!(decided.decision_note, "Delivery was two weeks late");

    // Customers and merchant staff cannot use the support form.
    let customer = app.page_session("/signin", "siti@example.id").await;
    let home = app.page("/home", Some(&customer)).await.body;
    let csrf = csrf_of(&home);
    let a = app
        .post_form(
            &format!("/staff/refunds/{}", waiting.id),
            &[("csrf", &csrf), ("tx", &payment.id), ("approve", "true")],
            Some(&customer),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
