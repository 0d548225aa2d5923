//! Regions, merchants and support groups.

// Dynamic SQL here is assembled only from constant fragments (column lists, table
// names chosen by a `match`); every value is bound, so `AssertSqlSafe` holds.
use crate::identity::page_of;
use crate::{Filters, Order, Store, col, db_err};
use async_trait::async_trait;
use domain::repo::{DirectoryRepo, RepoError};
use domain::{Cursor, GroupId, Limit, Merchant, MerchantId, Page, Region, RegionId, SupportGroup};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

fn region_from_row(row: &AnyRow) -> Result<Region, RepoError> {
    Ok(Region {
        id: RegionId::from_string(col::<String>(row, "id")?),
        name: col(row, "name")?,
        country: col(row, "country")?,
        time_zone: col(row, "time_zone")?,
        zone_abbreviation: col(row, "zone_abbreviation")?,
    })
}

fn merchant_from_row(row: &AnyRow) -> Result<Merchant, RepoError> {
    Ok(Merchant {
        id: MerchantId::from_string(col::<String>(row, "id")?),
        name: col(row, "name")?,
        category: col(row, "category")?,
        region_id: RegionId::from_string(col::<String>(row, "region_id")?),
    })
}

const MERCHANT_COLUMNS: &str = "id, name, name_key, category, region_id";

#[async_trait]
impl DirectoryRepo for Store {
    async fn regions(&self) -> Result<Vec<Region>, RepoError> {
        let rows = sqlx::query("SELECT id, name, country, time_zone, zone_abbreviation FROM regions ORDER BY country DESC, name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(region_from_row).collect()
    }

    async fn region(&self, id: &RegionId) -> Result<Region, RepoError> {
        let row = sqlx::query(
            "SELECT id, name, country, time_zone, zone_abbreviation FROM regions WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        region_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn list_merchants(
        &self,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Merchant>, RepoError> {
        let mut f = Filters::default();
        f.after(after, "name_key", Order::Ascending, false)?;
        let rows = f
            .fetch_page(
                &self.pool,
                MERCHANT_COLUMNS,
                "merchants",
                "name_key",
                Order::Ascending,
                limit,
            )
            .await?;
        let items = rows
            .iter()
            .map(merchant_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(items, limit, |m| {
            (crate::identity::name_key(&m.name), m.id.to_string())
        }))
    }

    async fn merchant(&self, id: &MerchantId) -> Result<Merchant, RepoError> {
        let sql = format!("SELECT {MERCHANT_COLUMNS} FROM merchants WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        merchant_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn groups(&self) -> Result<Vec<SupportGroup>, RepoError> {
        let rows = sqlx::query("SELECT id, name FROM support_groups ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(SupportGroup {
                    id: GroupId::from_string(col::<String>(r, "id")?),
                    name: col(r, "name")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Inserts or updates a region (regions are operator configuration, seeded by `demo`).
    pub async fn upsert_region(&self, r: &Region) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO regions (id, name, country, time_zone, zone_abbreviation) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, \
             time_zone = excluded.time_zone, zone_abbreviation = excluded.zone_abbreviation",
        )
        .bind(r.id.as_str())
        .bind(r.name.as_str())
        .bind(r.country.as_str())
        .bind(r.time_zone.as_str())
        .bind(r.zone_abbreviation.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Inserts a support group unless one with this id exists.
    pub async fn ensure_group(&self, g: &SupportGroup) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO support_groups (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(g.id.as_str())
        .bind(g.name.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Inserts a merchant unless one with this id exists.
    pub async fn ensure_merchant(&self, m: &Merchant, now_us: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO merchants (id, name, name_key, category, region_id, created_at_us) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(m.id.as_str())
        .bind(m.name.as_str())
        .bind(crate::identity::name_key(&m.name))
        .bind(m.category.as_str())
        .bind(m.region_id.as_str())
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
