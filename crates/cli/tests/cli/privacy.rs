//! `paydesk audit verify` and `paydesk keys rotate` as operators run them.

use super::paydesk;
use domain::protection::{NewAuditEntry, ProtectionRepo};
use domain::repo::IdentityRepo;
use std::sync::Arc;
use store::crypto::{DEVELOPMENT_DATA_KEY, DEVELOPMENT_INDEX_KEY, KeyRing};
use store::{Store, StoreOptions};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(args: &[&str], db: &str, env: &[(&str, String)]) -> (bool, String, String) {
    let mut c = paydesk(args, db);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn audit_verify_passes_an_intact_log_and_names_an_edited_entry() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::testing::fresh_database_url()).unwrap();
    rt.block_on(async {
        let store = Store::open(&StoreOptions::new(db.clone(), 2))
            .await
            .unwrap();
        for (i, action) in ["account.unlock", "privacy.export", "privacy.erase"]
            .iter()
            .enumerate()
        {
            store
                .append_audit(
                    &NewAuditEntry {
                        actor: "system".into(),
                        action: (*action).into(),
                        customer_id: None,
                        outcome: "done".into(),
                        detail: "{}".into(),
                    },
                    1_000 + i as i64,
                )
                .await
                .unwrap();
        }
        store.close().await;
    });
    let (ok, out, err) = run(&["audit", "verify"], &db, &[]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("3 records"), "{out}");

    rt.block_on(async {
        let store = Store::open(&StoreOptions::new(db.clone(), 2))
            .await
            .unwrap();
        store.tamper_with_audit_record(2, "approved").await.unwrap();
        store.close().await;
    });
    let (ok, out, err) = run(&["audit", "verify"], &db, &[]);
    assert!(!ok, "an edited log must fail: {out}");
    assert!(err.contains("audit record 2 was edited"), "{err}");
}

#[test]
fn keys_rotate_moves_every_value_to_the_new_key_and_the_old_one_can_go() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::testing::fresh_database_url()).unwrap();
    // A database written with the development key (as `paydesk demo` leaves it).
    let siti = rt.block_on(async {
        let store = Store::open(&StoreOptions::new(db.clone(), 2))
            .await
            .unwrap();
        store
            .upsert_region(&domain::Region {
                id: domain::RegionId::from_string("id-jakarta"),
                name: "Jakarta".into(),
                country: "ID".into(),
                time_zone: "Asia/Jakarta".into(),
                zone_abbreviation: "WIB".into(),
            })
            .await
            .unwrap();
        let siti = domain::Customer {
            id: domain::CustomerId::new(),
            email: Some(domain::Email::parse("siti@example.id").unwrap()),
            phone: Some(domain::Phone::parse("+6281234567890").unwrap()),
            display_name: domain::DisplayName::parse("Siti Rahayu").unwrap(),
            locale: domain::Locale::Id,
            region_id: domain::RegionId::from_string("id-jakarta"),
            status: domain::AccountStatus::Active,
            created_at_us: 1,
        };
        store.insert_customer(&siti, "!", false).await.unwrap();
        store.close().await;
        siti
    });
    let new_key = [42u8; 32];
    let both = vec![
        ("PAYDESK__ENCRYPTION__KEYS__DEV", hex(&DEVELOPMENT_DATA_KEY)),
        ("PAYDESK__ENCRYPTION__KEYS__K2", hex(&new_key)),
        ("PAYDESK__ENCRYPTION__ACTIVE_KEY", "k2".to_owned()),
        (
            "PAYDESK__ENCRYPTION__INDEX_KEY",
            hex(&DEVELOPMENT_INDEX_KEY),
        ),
    ];
    let (ok, out, err) = run(&["keys", "status"], &db, &both);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2 values under other keys"), "{out}");
    let (ok, out, err) = run(&["keys", "rotate"], &db, &both);
    assert!(ok, "{out}{err}");
    assert!(out.contains("re-encrypted 2 values"), "{out}");
    assert!(!out.contains(&hex(&new_key)) && !err.contains(&hex(&new_key)));
    let (ok, out, _) = run(&["audit", "verify"], &db, &both);
    assert!(
        ok && out.contains("1 records"),
        "the rotation is audited: {out}"
    );

    // Only the new key now: status says nothing is left, and the data reads.
    let only_new = vec![
        ("PAYDESK__ENCRYPTION__KEYS__K2", hex(&new_key)),
        ("PAYDESK__ENCRYPTION__ACTIVE_KEY", "k2".to_owned()),
        (
            "PAYDESK__ENCRYPTION__INDEX_KEY",
            hex(&DEVELOPMENT_INDEX_KEY),
        ),
    ];
    let (ok, out, err) = run(&["keys", "status"], &db, &only_new);
    assert!(ok, "{out}{err}");
    assert!(out.contains("0 values under other keys"), "{out}");
    rt.block_on(async {
        let ring = KeyRing::new(&[("k2".into(), new_key)], "k2", DEVELOPMENT_INDEX_KEY).unwrap();
        let store = Store::open(&StoreOptions {
            keys: Arc::new(ring),
            ..StoreOptions::new(db.clone(), 2)
        })
        .await
        .unwrap();
        let read = store.customer(&siti.id).await.unwrap();
        assert_eq!(read.phone, siti.phone);
        assert_eq!(read.email, siti.email);
        store.close().await;
    });
    // The development key alone no longer reads this database.
    let (ok, _, err) = run(&["keys", "status"], &db, &[]);
    assert!(ok, "status reads no values: {err}");
    let (ok, _, _) = run(&["keys", "rotate"], &db, &[]);
    assert!(!ok, "rotating onto the development key needs k2 to read");
}

#[test]
fn a_missing_key_is_a_clear_startup_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::testing::fresh_database_url()).unwrap();
    let out = paydesk(&["migrate"], &db)
        .env_remove("PAYDESK__ENCRYPTION__DEVELOPMENT_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no encryption key is configured"), "{err}");
    assert!(err.contains("paydesk keys generate"), "{err}");
    let generated = paydesk(&["keys", "generate"], &db).output().unwrap();
    let text = String::from_utf8_lossy(&generated.stdout);
    assert!(
        text.contains("[encryption]") && text.contains("index_key"),
        "{text}"
    );
}
