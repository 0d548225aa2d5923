//! Data generation and baseline queries for `paydesk bench history`.

use crate::wallet::transaction_filters;
use crate::{Store, db_err};
use domain::repo::RepoError;
use domain::wallet::TransactionQuery;
use domain::{CustomerId, MerchantId};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::AssertSqlSafe;

const KINDS: [&str; 6] = [
    "payment",
    "payment",
    "payment",
    "top_up",
    "transfer_out",
    "withdrawal",
];

impl Store {
    /// Inserts `total` wallet transactions for bench customers, `heavy` of them for one
    /// customer, spread over the last year. Returns that customer and the merchants' names.
    pub async fn bench_fill_history(
        &self,
        total: u64,
        heavy: u64,
        now_us: i64,
        progress: impl Fn(u64),
    ) -> Result<(CustomerId, Vec<String>), RepoError> {
        let run = uuid::Uuid::now_v7().simple().to_string();
        let region: String = sqlx::query_scalar("SELECT id FROM regions ORDER BY id LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or_else(|| {
                RepoError::InvalidState("run `paydesk demo` first: the bench needs a region".into())
            })?;
        let merchants: Vec<(String, String)> = (0..50)
            .map(|i| {
                (
                    MerchantId::new().to_string(),
                    format!("Bench Merchant {i:02} {}", &run[run.len() - 6..]),
                )
            })
            .collect();
        for (id, name) in &merchants {
            sqlx::query("INSERT INTO merchants (id, name, name_key, category, region_id, created_at_us) VALUES ($1, $2, $3, 'food', $4, $5)")
                .bind(id.clone())
                .bind(name.clone())
                .bind(name.to_lowercase())
                .bind(region.clone())
                .bind(now_us)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        let customers: Vec<String> = (0..1000).map(|_| CustomerId::new().to_string()).collect();
        for (i, id) in customers.iter().enumerate() {
            let phone = format!(
                "+99{}{i:04}",
                &run[run.len() - 6..]
                    .bytes()
                    .map(|b| (b % 10).to_string())
                    .collect::<String>()
            );
            sqlx::query(
                "INSERT INTO customers (id, phone, display_name, name_key, locale, region_id, status, password_hash, created_at_us, phone_bidx) \
                 VALUES ($1, $2, $3, $4, 'en', $5, 'active', '!', $6, $7)",
            )
            .bind(id.clone())
            .bind(self.keys.encrypt(crate::crypto::Field::CUSTOMER_PHONE, id, &phone)?)
            .bind(format!("Bench Customer {i}"))
            .bind(format!("bench customer {i}"))
            .bind(region.clone())
            .bind(now_us)
            .bind(self.keys.blind_index("phone", &phone))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        }
        let mut rng = StdRng::seed_from_u64(42);
        let year = 365 * 86_400_000_000i64;
        let chunk = 500usize;
        let mut written = 0u64;
        while written < total {
            let n = chunk.min((total - written) as usize);
            let mut tx = self.begin_write().await?;
            // 20 rows per statement × 17 columns stays under every bind limit.
            for part in 0..n.div_ceil(20) {
                let rows = 20.min(n - part * 20);
                let values: Vec<String> = (0..rows)
                    .map(|r| {
                        let p: Vec<String> = (1..=12).map(|c| self.ph(r * 12 + c)).collect();
                        format!(
                            "({}, {}, {}, {}, {}, {}, 'IDR', {}, NULL, {}, {}, {}, NULL, NULL, NULL, {}, {})",
                            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]
                        )
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO wallet_transactions (id, reference, customer_id, kind, status, amount, currency, merchant_id, counterparty_customer_id, \
                     failure_reason, description, search_text, original_id, hold_transfer_id, unusual, created_at_us, updated_at_us) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for r in 0..rows {
                    let index = written + (part * 20 + r) as u64;
                    // Every k-th row belongs to the customer under test, spread evenly.
                    let is_heavy = heavy > 0
                        && index.is_multiple_of((total / heavy).max(1))
                        && index / (total / heavy).max(1) < heavy;
                    let customer = if is_heavy {
                        customers[0].clone()
                    } else {
                        customers[1 + rng.random_range(0..customers.len() - 1)].clone()
                    };
                    let kind = KINDS[rng.random_range(0..KINDS.len())];
                    let failed = rng.random_range(0..100) < 5;
                    let (merchant, name) = if kind == "payment" {
                        let m = &merchants[rng.random_range(0..merchants.len())];
                        (Some(m.0.clone()), m.1.clone())
                    } else {
                        (None, String::new())
                    };
                    let desc = if kind == "payment" {
                        "Purchase"
                    } else {
                        "Wallet"
                    };
                    let at = now_us - rng.random_range(0..year);
                    q = q
                        .bind(uuid::Uuid::now_v7().to_string())
                        .bind(format!("TB-{run}-{index}"))
                        .bind(customer)
                        .bind(kind)
                        .bind(if failed { "failed" } else { "succeeded" })
                        .bind(rng.random_range(1_000i64..2_000_000) * 100)
                        .bind(merchant)
                        .bind(if failed {
                            Some("insufficient_balance")
                        } else {
                            None
                        })
                        .bind(desc)
                        .bind(format!("{desc} {name} tb-{index}").to_lowercase())
                        .bind(at)
                        .bind(at);
                }
                q.execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            written += n as u64;
            progress(written);
        }
        Ok((
            CustomerId::from_string(customers[0].clone()),
            merchants.into_iter().map(|(_, n)| n).collect(),
        ))
    }

    /// The customer with the most generated rows and the bench merchants' names, from an
    /// earlier `bench_fill_history`.
    pub async fn bench_existing_history(&self) -> Result<(CustomerId, Vec<String>), RepoError> {
        let heavy: Option<String> = sqlx::query_scalar(
            "SELECT customer_id FROM wallet_transactions WHERE reference LIKE 'TB-%' GROUP BY customer_id ORDER BY COUNT(*) DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let heavy = heavy.ok_or_else(|| {
            RepoError::InvalidState("no generated history: run without --reuse first".into())
        })?;
        let merchants: Vec<String> =
            sqlx::query_scalar("SELECT name FROM merchants WHERE name LIKE 'Bench Merchant %'")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        Ok((CustomerId::from_string(heavy), merchants))
    }

    /// The same filtered page fetched with `OFFSET`, as generic help desks page, for comparison.
    pub async fn bench_offset_page(
        &self,
        q: &TransactionQuery,
        offset: i64,
        limit: i64,
    ) -> Result<usize, RepoError> {
        let f = transaction_filters(q);
        let sql = format!(
            "SELECT id, amount, description FROM wallet_transactions {} ORDER BY created_at_us DESC, id DESC LIMIT {limit} OFFSET {offset}",
            f.where_sql()
        );
        Ok(f.fetch_all(&self.pool, sql).await?.len())
    }
}
