//! `paydesk keys …`: data keys of the encryption at rest.

use crate::KeysAction;
use server::Config;

/// Runs a `keys` subcommand.
pub async fn run(config: &Config, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Generate => {
            // Printed once, to the operator's terminal: this is the only place a key is shown.
            println!(
                "# Add to paydesk.toml (or PAYDESK__ENCRYPTION__… variables); keep them secret."
            );
            println!("[encryption]");
            println!("active_key = \"k1\"");
            println!("index_key = \"{}\"", store::crypto::generate_key());
            println!("[encryption.keys]");
            println!("k1 = \"{}\"", store::crypto::generate_key());
            Ok(())
        }
        KeysAction::Status => {
            let store = crate::open_store(config).await?;
            let old = store.count_under_old_keys().await?;
            println!(
                "active key {:?}; configured keys {:?}; {old} values under other keys",
                store.keys().active_key_id(),
                store.keys().key_ids()
            );
            Ok(())
        }
        KeysAction::Rotate => {
            let store = crate::open_store(config).await?;
            let active = store.keys().active_key_id().to_owned();
            let total = store.count_under_old_keys().await?;
            let bar = crate::bench::bar(total, "re-encrypt");
            let done = store.rotate_keys(&|done, _| bar.set_position(done)).await?;
            bar.finish_and_clear();
            let left = store.count_under_old_keys().await?;
            // The rotation is an operator's action on every customer's data: audited.
            domain::protection::ProtectionRepo::append_audit(
                &store,
                &domain::protection::NewAuditEntry {
                    actor: "operator:cli".into(),
                    action: "keys.rotate".into(),
                    customer_id: None,
                    outcome: if left == 0 { "done" } else { "incomplete" }.into(),
                    detail:
                        serde_json::json!({"active_key": active, "reencrypted": done, "left": left})
                            .to_string(),
                },
                server::now_us(),
            )
            .await?;
            anyhow::ensure!(
                left == 0,
                "{left} values are still under other keys (written meanwhile?): run it again"
            );
            println!(
                "re-encrypted {done} values under key {active:?}; every value is now under it, \
                 so the other keys can be removed from the configuration"
            );
            Ok(())
        }
    }
}
