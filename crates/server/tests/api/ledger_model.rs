//! A seeded random model of wallet operations run against the real store (SQLite or
//! PostgreSQL). After every step: debits equal credits, no wallet below zero, every
//! wallet's balance equals what its transaction history adds up to, refunds never exceed
//! the captured amount, and a refused operation leaves every balance unchanged.
//! A failure names its seed and step; rerun with that seed to reproduce it.

use crate::helpers::*;
use domain::ledger::{LedgerAccount, check_invariants};
use domain::repo::WalletRepo;
use domain::wallet::{
    RefundDecision, RefundReason, RefundStatus, TransactionKind, TransactionQuery,
    TransactionStatus, WalletOperation,
};
use domain::{Currency, CustomerId, Limit, MerchantId, Money};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn idr(minor: i64) -> Money {
    Money::new(minor, Currency::IDR)
}

async fn all_transactions(
    app: &TestApp,
    customer: &CustomerId,
) -> Vec<domain::wallet::WalletTransaction> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let q = TransactionQuery {
            customer_id: Some(customer.clone()),
            ..TransactionQuery::default()
        };
        let page = app
            .store
            .transactions(&q, cursor.as_ref(), Limit::parse(Some(100)).unwrap())
            .await
            .unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(domain::Cursor::decode(&c).unwrap()),
            None => return out,
        }
    }
}

/// What the customer's history says the wallet holds: posted and held amounts.
fn history_balance(txs: &[domain::wallet::WalletTransaction]) -> (i64, i64) {
    let mut posted = 0;
    let mut held = 0;
    for t in txs {
        match (t.status, t.kind.is_outgoing()) {
            // A reversed payment moved its money; the refunds moving it back are their own rows.
            (TransactionStatus::Succeeded | TransactionStatus::Reversed, true) => {
                posted -= t.amount.minor
            }
            (TransactionStatus::Succeeded | TransactionStatus::Reversed, false) => {
                posted += t.amount.minor
            }
            (TransactionStatus::Pending, true) => held += t.amount.minor,
            _ => {}
        }
    }
    (posted, held)
}

fn same_balances(before: &[LedgerAccount], after: &[LedgerAccount]) -> bool {
    before.iter().all(|a| after.iter().any(|b| b == a))
        && after
            .iter()
            .filter(|b| !before.iter().any(|a| a.id == b.id))
            .all(|b| b.balance == Default::default())
}

async fn run_model(seed: u64, steps: usize) {
    let app = spawn_app().await;
    let mut rng = StdRng::seed_from_u64(seed);
    let customers = [
        app.accounts.customer.id.clone(),
        app.accounts.other_customer.id.clone(),
    ];
    let merchants: [MerchantId; 2] = [
        app.accounts.merchant.id.clone(),
        app.accounts.other_merchant.id.clone(),
    ];
    let mut payments: Vec<String> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut requested: Vec<String> = Vec::new();
    let mut now = server::now_us() - 1_000_000_000;
    let mut refused_steps = 0;
    for step in 0..steps {
        now += rng.random_range(1..5_000_000);
        let who = customers[rng.random_range(0..2)].clone();
        let amount = idr(rng.random_range(1..200) * 1_000_00);
        let before = app.store.ledger_accounts().await.unwrap();
        // `refused` is true when the step was turned down; it must then change nothing.
        let refused = match rng.random_range(0..11) {
            0 | 1 => {
                app.store
                    .execute(
                        &WalletOperation::TopUp {
                            customer: who,
                            amount,
                        },
                        now,
                    )
                    .await
                    .unwrap()
                    .status
                    == TransactionStatus::Failed
            }
            2..=4 => {
                let hold = rng.random_range(0..4) == 0;
                let op = WalletOperation::Payment {
                    customer: who,
                    merchant: merchants[rng.random_range(0..2)].clone(),
                    amount,
                    hold_minutes: hold.then_some(10),
                    description: "model".into(),
                };
                let t = app.store.execute(&op, now).await.unwrap();
                match t.status {
                    TransactionStatus::Succeeded => payments.push(t.id),
                    TransactionStatus::Pending => pending.push(t.id),
                    _ => {}
                }
                t.status == TransactionStatus::Failed
            }
            5 => {
                let to = customers.iter().find(|c| **c != who).unwrap().clone();
                app.store
                    .execute(
                        &WalletOperation::Transfer {
                            from: who,
                            to,
                            amount,
                            description: "model".into(),
                        },
                        now,
                    )
                    .await
                    .unwrap()
                    .status
                    == TransactionStatus::Failed
            }
            6 => {
                app.store
                    .execute(
                        &WalletOperation::Withdrawal {
                            customer: who,
                            amount,
                        },
                        now,
                    )
                    .await
                    .unwrap()
                    .status
                    == TransactionStatus::Failed
            }
            7 if !pending.is_empty() => {
                let id = pending.swap_remove(rng.random_range(0..pending.len()));
                if rng.random_range(0..2) == 0 {
                    let t = app.store.capture_payment(&id, None, now).await.unwrap();
                    payments.push(t.id);
                } else {
                    app.store.void_payment(&id, now).await.unwrap();
                }
                false
            }
            8 | 9 if !payments.is_empty() => {
                let id = payments[rng.random_range(0..payments.len())].clone();
                let reason = [
                    RefundReason::NotReceived,
                    RefundReason::ChangedMind,
                    RefundReason::Damaged,
                ][rng.random_range(0..3)];
                let r = app
                    .store
                    .request_refund(&id, rng.random_range(-5..150) * 1_000_00, reason, now)
                    .await
                    .unwrap();
                if r.status == RefundStatus::Requested {
                    requested.push(r.id.clone());
                }
                matches!(r.status, RefundStatus::Rejected | RefundStatus::Failed)
            }
            10 if !requested.is_empty() => {
                let id = requested.swap_remove(rng.random_range(0..requested.len()));
                let decision = if rng.random_range(0..2) == 0 {
                    RefundDecision::Approve {
                        by: "model".into(),
                        note: String::new(),
                        override_policy: false,
                    }
                } else {
                    RefundDecision::Reject {
                        by: "model".into(),
                        note: "no".into(),
                    }
                };
                let r = app.store.decide_refund(&id, &decision, now).await.unwrap();
                matches!(r.status, RefundStatus::Rejected | RefundStatus::Failed)
            }
            _ => false,
        };
        let after = app.store.ledger_accounts().await.unwrap();
        if refused {
            refused_steps += 1;
            assert!(
                same_balances(&before, &after),
                "seed {seed} step {step}: a refused operation changed balances"
            );
        }
        if let Err(e) = check_invariants(after.iter()) {
            panic!("seed {seed} step {step}: {e}");
        }
        for c in &customers {
            let txs = all_transactions(&app, c).await;
            let (posted, held) = history_balance(&txs);
            let b = app.store.wallet_balance(c, Currency::IDR).await.unwrap();
            assert_eq!(
                (b.posted(), b.debits_pending),
                (posted, held),
                "seed {seed} step {step}: ledger and history disagree for {c}"
            );
        }
    }
    let refunded_payments = {
        let mut n = 0;
        for p in &payments {
            if !app.store.refunds_of_payment(p).await.unwrap().is_empty() {
                n += 1;
            }
        }
        n
    };
    assert!(
        refused_steps > 3 && refunded_payments > 3,
        "seed {seed}: the model must exercise refusals ({refused_steps}) and refunds ({refunded_payments})"
    );
    for p in &payments {
        let captured = app.store.transaction(p).await.unwrap().amount.minor;
        let refunded: i64 = app
            .store
            .refunds_of_payment(p)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.status == RefundStatus::Succeeded)
            .map(|r| r.amount.minor)
            .sum();
        assert!(
            refunded <= captured,
            "seed {seed}: payment {p} refunded {refunded} of {captured}"
        );
        let refund_txs =
            all_transactions(&app, &app.store.transaction(p).await.unwrap().customer_id)
                .await
                .into_iter()
                .filter(|t| {
                    t.kind == TransactionKind::Refund && t.original_id.as_deref() == Some(p)
                })
                .map(|t| t.amount.minor)
                .sum::<i64>();
        assert_eq!(
            refund_txs, refunded,
            "seed {seed}: refund transactions and refund records differ for {p}"
        );
    }
}

#[tokio::test]
async fn seeded_model_keeps_every_invariant() {
    // Seeds are fixed so CI is reproducible; PAYDESK_MODEL_SEED explores another one.
    let seeds: Vec<u64> = match std::env::var("PAYDESK_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => vec![1, 2, 3],
    };
    for seed in seeds {
        run_model(seed, 120).await;
    }
}
