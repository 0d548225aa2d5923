//! Customers, staff and their credentials.

// Dynamic SQL here is assembled only from constant fragments (column lists, table
// names chosen by a `match`); every value is bound, so `AssertSqlSafe` holds.
use crate::crypto::{Field, KeyRing};
use crate::{Filters, Order, Store, col, db_err, like_pattern};
use async_trait::async_trait;
use domain::repo::{Credential, CustomerQuery, IdentityRepo, RepoError};
use domain::{
    AccountStatus, Cursor, Customer, CustomerId, DisplayName, Email, GroupId, Limit, Locale,
    LoginId, MerchantId, NewCustomer, NewStaff, Page, Phone, Principal, RegionId, Role, Staff,
    StaffId, UserId,
};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

const CUSTOMER_COLUMNS: &str =
    "id, email, phone, display_name, name_key, locale, region_id, status, created_at_us";
const STAFF_COLUMNS: &str =
    "id, email, display_name, name_key, role, merchant_id, group_id, locale, status, created_at_us";

/// Blind index of a customer's email (sign-in, uniqueness).
pub(crate) fn email_index(keys: &KeyRing, email: &Email) -> String {
    keys.blind_index("email", email.as_str())
}

/// Blind index of a customer's phone (sign-in, caller matching, uniqueness).
pub(crate) fn phone_index(keys: &KeyRing, phone: &Phone) -> String {
    keys.blind_index("phone", phone.as_str())
}

/// Sort key for names: case-folded so "budi" and "Budi" sort together on both backends.
pub(crate) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

fn corrupt(what: &str, value: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} {value:?} is not valid"))
}

pub(crate) fn locale_of(s: &str) -> Locale {
    Locale::parse(s).unwrap_or_default()
}

fn status_of(s: &str) -> Result<AccountStatus, RepoError> {
    AccountStatus::parse(s).ok_or_else(|| corrupt("status", s))
}

/// Reads a customer row, decrypting the contact details.
pub(crate) fn customer_from_row(keys: &KeyRing, row: &AnyRow) -> Result<Customer, RepoError> {
    let id: String = col(row, "id")?;
    let email = keys.decrypt_opt(
        Field::CUSTOMER_EMAIL,
        &id,
        col::<Option<String>>(row, "email")?.as_deref(),
    )?;
    let phone = keys.decrypt_opt(
        Field::CUSTOMER_PHONE,
        &id,
        col::<Option<String>>(row, "phone")?.as_deref(),
    )?;
    let name: String = col(row, "display_name")?;
    let status: String = col(row, "status")?;
    let locale: String = col(row, "locale")?;
    Ok(Customer {
        id: CustomerId::from_string(id),
        email: email
            .map(|e| Email::parse(&e).map_err(|_| corrupt("email", &e)))
            .transpose()?,
        phone: phone
            .map(|p| Phone::parse(&p).map_err(|_| corrupt("phone", &p)))
            .transpose()?,
        display_name: DisplayName::parse(&name).map_err(|_| corrupt("name", &name))?,
        locale: locale_of(&locale),
        region_id: RegionId::from_string(col::<String>(row, "region_id")?),
        status: status_of(&status)?,
        created_at_us: col(row, "created_at_us")?,
    })
}

pub(crate) fn staff_from_row(row: &AnyRow) -> Result<Staff, RepoError> {
    let email: String = col(row, "email")?;
    let name: String = col(row, "display_name")?;
    let role: String = col(row, "role")?;
    let status: String = col(row, "status")?;
    let locale: String = col(row, "locale")?;
    Ok(Staff {
        id: StaffId::from_string(col::<String>(row, "id")?),
        email: Email::parse(&email).map_err(|_| corrupt("email", &email))?,
        display_name: DisplayName::parse(&name).map_err(|_| corrupt("name", &name))?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        merchant_id: col::<Option<String>>(row, "merchant_id")?.map(MerchantId::from_string),
        group_id: col::<Option<String>>(row, "group_id")?.map(GroupId::from_string),
        locale: locale_of(&locale),
        status: status_of(&status)?,
        created_at_us: col(row, "created_at_us")?,
    })
}

fn customer_principal(c: &Customer) -> Principal {
    Principal {
        user: UserId::Customer(c.id.clone()),
        role: Role::Customer,
        display_name: c.display_name.as_str().to_owned(),
        merchant_id: None,
        locale: c.locale,
    }
}

fn staff_principal(s: &Staff) -> Principal {
    Principal {
        user: UserId::Staff(s.id.clone()),
        role: s.role,
        display_name: s.display_name.as_str().to_owned(),
        merchant_id: s.merchant_id.clone(),
        locale: s.locale,
    }
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says a next page exists.
pub(crate) fn page_of<T>(
    mut items: Vec<T>,
    limit: Limit,
    key: impl Fn(&T) -> (String, String),
) -> Page<T> {
    let more = items.len() > limit.get() as usize;
    items.truncate(limit.get() as usize);
    let next_cursor = if more {
        items.last().map(|last| {
            let (k, id) = key(last);
            Cursor { key: k, id }.encode()
        })
    } else {
        None
    };
    Page { items, next_cursor }
}

#[async_trait]
impl IdentityRepo for Store {
    async fn create_customer(
        &self,
        new: &NewCustomer,
        password_hash: &str,
        now_us: i64,
    ) -> Result<Customer, RepoError> {
        let customer = Customer {
            id: CustomerId::new(),
            email: new.email.clone(),
            phone: new.phone.clone(),
            display_name: new.display_name.clone(),
            locale: new.locale,
            region_id: new.region_id.clone(),
            status: AccountStatus::Active,
            created_at_us: now_us,
        };
        self.insert_customer(&customer, password_hash, false)
            .await?;
        Ok(customer)
    }

    async fn create_staff(
        &self,
        new: &NewStaff,
        password_hash: &str,
        now_us: i64,
    ) -> Result<Staff, RepoError> {
        let staff = Staff {
            id: StaffId::new(),
            email: new.email.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            merchant_id: new.merchant_id.clone(),
            group_id: new.group_id.clone(),
            locale: new.locale,
            status: AccountStatus::Active,
            created_at_us: now_us,
        };
        self.insert_staff(&staff, password_hash, false).await?;
        Ok(staff)
    }

    async fn customer_credential(&self, login: &LoginId) -> Result<Option<Credential>, RepoError> {
        // Contact details are encrypted: the keyed blind index finds the row.
        let (column, value) = match login {
            LoginId::Email(e) => ("email_bidx", email_index(&self.keys, e)),
            LoginId::Phone(p) => ("phone_bidx", phone_index(&self.keys, p)),
        };
        let sql =
            format!("SELECT {CUSTOMER_COLUMNS}, password_hash FROM customers WHERE {column} = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|row| {
            let c = customer_from_row(&self.keys, &row)?;
            Ok(Credential {
                principal: customer_principal(&c),
                password_hash: col(&row, "password_hash")?,
                status: c.status,
            })
        })
        .transpose()
    }

    async fn staff_credential(&self, email: &Email) -> Result<Option<Credential>, RepoError> {
        let sql = format!("SELECT {STAFF_COLUMNS}, password_hash FROM staff WHERE email = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|row| {
            let s = staff_from_row(&row)?;
            Ok(Credential {
                principal: staff_principal(&s),
                password_hash: col(&row, "password_hash")?,
                status: s.status,
            })
        })
        .transpose()
    }

    async fn principal(
        &self,
        user: &UserId,
    ) -> Result<Option<(Principal, AccountStatus)>, RepoError> {
        match user {
            UserId::Customer(id) => match self.customer(id).await {
                Ok(c) => Ok(Some((customer_principal(&c), c.status))),
                Err(RepoError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            UserId::Staff(id) => match self.staff(id).await {
                Ok(s) => Ok(Some((staff_principal(&s), s.status))),
                Err(RepoError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }

    async fn customer(&self, id: &CustomerId) -> Result<Customer, RepoError> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        customer_from_row(&self.keys, &row.ok_or(RepoError::NotFound)?)
    }

    async fn list_customers(
        &self,
        query: &CustomerQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Customer>, RepoError> {
        let mut f = Filters::default();
        if let Some(text) = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            // Email and phone are encrypted: they match whole (through the blind index),
            // names match in part.
            let n = f.bind(like_pattern(text));
            let e = f.bind(match Email::parse(text) {
                Ok(email) => email_index(&self.keys, &email),
                Err(_) => String::new(),
            });
            let p = f.bind(match Phone::parse(text) {
                Ok(phone) => phone_index(&self.keys, &phone),
                Err(_) => String::new(),
            });
            f.clause(format!(
                "(name_key LIKE ${n} ESCAPE '\\' OR email_bidx = ${e} OR phone_bidx = ${p})"
            ));
        }
        if let Some(region) = &query.region_id {
            let n = f.bind(region.as_str());
            f.clause(format!("region_id = ${n}"));
        }
        f.after(after, "name_key", Order::Ascending, false)?;
        let rows = f
            .fetch_page(
                &self.pool,
                CUSTOMER_COLUMNS,
                "customers",
                "name_key",
                Order::Ascending,
                limit,
            )
            .await?;
        let items = rows
            .iter()
            .map(|r| customer_from_row(&self.keys, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(items, limit, |c| {
            (name_key(c.display_name.as_str()), c.id.to_string())
        }))
    }

    async fn staff(&self, id: &StaffId) -> Result<Staff, RepoError> {
        let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        staff_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn list_staff(
        &self,
        merchant: Option<&MerchantId>,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Staff>, RepoError> {
        let mut f = Filters::default();
        if let Some(m) = merchant {
            let n = f.bind(m.as_str());
            f.clause(format!("merchant_id = ${n}"));
        }
        f.after(after, "name_key", Order::Ascending, false)?;
        let rows = f
            .fetch_page(
                &self.pool,
                STAFF_COLUMNS,
                "staff",
                "name_key",
                Order::Ascending,
                limit,
            )
            .await?;
        let items = rows
            .iter()
            .map(staff_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_of(items, limit, |s| {
            (name_key(s.display_name.as_str()), s.id.to_string())
        }))
    }

    async fn set_locale(&self, user: &UserId, locale: Locale) -> Result<(), RepoError> {
        self.update_account(user, "locale", locale.tag()).await
    }
}

impl Store {
    /// Inserts a customer with a given id. With `ignore_existing`, an existing id is left
    /// untouched (demo seeding is idempotent) and `false` is returned.
    pub async fn insert_customer(
        &self,
        c: &Customer,
        password_hash: &str,
        ignore_existing: bool,
    ) -> Result<bool, RepoError> {
        let conflict = if ignore_existing {
            " ON CONFLICT (id) DO NOTHING"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO customers ({CUSTOMER_COLUMNS}, password_hash, email_bidx, phone_bidx) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12){conflict}"
        );
        let keys = &self.keys;
        let id = c.id.as_str();
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(keys.encrypt_opt(
                Field::CUSTOMER_EMAIL,
                id,
                c.email.as_ref().map(Email::as_str),
            )?)
            .bind(keys.encrypt_opt(
                Field::CUSTOMER_PHONE,
                id,
                c.phone.as_ref().map(Phone::as_str),
            )?)
            .bind(c.display_name.as_str())
            .bind(name_key(c.display_name.as_str()))
            .bind(c.locale.tag())
            .bind(c.region_id.as_str())
            .bind(c.status.as_str())
            .bind(c.created_at_us)
            .bind(password_hash)
            .bind(c.email.as_ref().map(|e| email_index(keys, e)))
            .bind(c.phone.as_ref().map(|p| phone_index(keys, p)))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Inserts a staff member with a given id; see [`Store::insert_customer`].
    pub async fn insert_staff(
        &self,
        s: &Staff,
        password_hash: &str,
        ignore_existing: bool,
    ) -> Result<bool, RepoError> {
        let conflict = if ignore_existing {
            " ON CONFLICT (id) DO NOTHING"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO staff ({STAFF_COLUMNS}, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11){conflict}"
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(s.id.as_str())
            .bind(s.email.as_str())
            .bind(s.display_name.as_str())
            .bind(name_key(s.display_name.as_str()))
            .bind(s.role.as_str())
            .bind(s.merchant_id.as_ref().map(|m| m.as_str().to_owned()))
            .bind(s.group_id.as_ref().map(|g| g.as_str().to_owned()))
            .bind(s.locale.tag())
            .bind(s.status.as_str())
            .bind(s.created_at_us)
            .bind(password_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes an account's status (suspend, reactivate, close).
    pub async fn set_status(&self, user: &UserId, status: AccountStatus) -> Result<(), RepoError> {
        self.update_account(user, "status", status.as_str()).await
    }

    /// Sets one text column of a customer or staff account; `NotFound` if there is none.
    async fn update_account(
        &self,
        user: &UserId,
        column: &'static str,
        value: &str,
    ) -> Result<(), RepoError> {
        let table = match user {
            UserId::Customer(_) => "customers",
            UserId::Staff(_) => "staff",
        };
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(value.to_owned())
            .bind(user.as_str().to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }
}
