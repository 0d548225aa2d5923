//! The settings a ticket's routing and SLA are computed with: SLA policies, business
//! calendars with the region and channel each applies to, and the category routes.
//!
//! They change a few times a year and are needed in every ticket's write transaction, so
//! they are read and parsed once per change instead of in each transaction (on SQLite,
//! where writers take turns, those reads and the calendar's parse were a good part of a
//! guest ticket's turn). Every write of them bumps `settings_version` in its own
//! transaction; a ticket transaction reads the version (on the same statement as its
//! ticket number when it opens one) and reloads when it moved, so a change is seen by the
//! next transaction on every node, as reading the tables themselves was.

use crate::{Store, col, db_err};
use domain::calendar::{BusinessCalendar, CalendarSpec};
use domain::repo::RepoError;
use domain::sla::{
    ScheduledEvent, SlaActivity, SlaPolicy, SlaSubject, TicketSla, evaluate, scheduled_events,
    select_policy,
};
use domain::ticket::{Category, Channel};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// A column with the settings version, for the statement a ticket transaction runs first
/// anyway (read back with [`Store::settings_version_col`]).
pub(crate) const SETTINGS_VERSION_COLUMN: &str =
    "(SELECT value FROM settings_version WHERE id = 1) AS settings_v";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!(
        "stored ticket settings {what} are not valid"
    ))
}

/// One version of the ticket settings.
#[derive(Debug)]
pub(crate) struct TicketSettings {
    version: i64,
    policies: Vec<SlaPolicy>,
    /// Calendars by id; `None` when the stored spec does not build (an error for the
    /// tickets that use it, not for every ticket).
    calendars: HashMap<String, Option<Arc<BusinessCalendar>>>,
    region_calendars: HashMap<String, String>,
    channel_calendars: HashMap<String, String>,
    routes: HashMap<String, String>,
    /// Open around the clock, in UTC: the clock of a ticket without a calendar.
    always_open: BusinessCalendar,
}

/// The last settings read, shared by the store's clones.
pub(crate) type SettingsCache = Arc<RwLock<Option<Arc<TicketSettings>>>>;

impl TicketSettings {
    /// The settings version these were read at.
    pub(crate) fn version(&self) -> i64 {
        self.version
    }

    /// The group a new ticket of this category goes to.
    pub(crate) fn route(&self, category: Category) -> Option<&str> {
        self.routes.get(category.as_str()).map(String::as_str)
    }

    /// Whether an SLA policy applies to a ticket like this.
    pub(crate) fn has_policy(&self, subject: &SlaSubject) -> bool {
        select_policy(&self.policies, subject).is_some()
    }

    /// The calendar a ticket follows: its customer's region's, else its channel's.
    fn calendar(
        &self,
        region: Option<&str>,
        channel: Channel,
    ) -> Result<Option<(&str, &BusinessCalendar)>, RepoError> {
        let id = region
            .and_then(|r| self.region_calendars.get(r))
            .or_else(|| self.channel_calendars.get(channel.as_str()));
        let Some(id) = id else { return Ok(None) };
        match self.calendars.get(id) {
            Some(Some(cal)) => Ok(Some((id.as_str(), cal))),
            _ => Err(corrupt("calendar")),
        }
    }

    /// A ticket's SLA from its subject and history: the policy that applies, the calendar
    /// its clocks run on, the target cycles and the events they schedule.
    pub(crate) fn sla(
        &self,
        subject: &SlaSubject,
        region: Option<&str>,
        created_at_us: i64,
        activities: &[SlaActivity],
    ) -> Result<(TicketSla, Vec<ScheduledEvent>), RepoError> {
        let policy = select_policy(&self.policies, subject);
        let calendar = self.calendar(region, subject.channel)?;
        let cycles = match policy {
            Some(p) => {
                // Without a calendar the clock runs around the clock.
                let cal = calendar.map_or(&self.always_open, |(_, cal)| cal);
                evaluate(p, created_at_us, activities, cal)
            }
            None => Vec::new(),
        };
        let events = scheduled_events(&cycles);
        let sla = TicketSla::from_cycles(
            policy.map(|p| p.id.clone()),
            calendar.map(|(id, _)| id.to_owned()),
            cycles,
        );
        Ok((sla, events))
    }
}

impl Store {
    /// The settings version as stored now, on `conn`.
    pub(crate) async fn settings_version_on(conn: &mut AnyConnection) -> Result<i64, RepoError> {
        let sql = format!("SELECT {SETTINGS_VERSION_COLUMN}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        Self::settings_version_col(&row)
    }

    /// The version a statement with [`SETTINGS_VERSION_COLUMN`] read.
    pub(crate) fn settings_version_col(row: &AnyRow) -> Result<i64, RepoError> {
        col(row, "settings_v")
    }

    /// Marks the ticket settings changed; call in the transaction that changes them.
    pub(crate) async fn bump_settings_on(conn: &mut AnyConnection) -> Result<(), RepoError> {
        sqlx::query("UPDATE settings_version SET value = value + 1 WHERE id = 1")
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// The ticket settings of `version` (read on `conn` when the cached ones are older).
    pub(crate) async fn ticket_settings_on(
        &self,
        conn: &mut AnyConnection,
        version: i64,
    ) -> Result<Arc<TicketSettings>, RepoError> {
        if let Some(s) = self
            .cached_ticket_settings()
            .filter(|s| s.version == version)
        {
            return Ok(s);
        }
        let loaded = Arc::new(load(conn, version).await?);
        let mut slot = self
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        // Two transactions may load at once; keep the newer.
        if slot.as_ref().is_none_or(|s| s.version <= version) {
            *slot = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// The ticket settings last read, if any (possibly older than the stored ones: a
    /// transaction that relies on them checks their version).
    pub(crate) fn cached_ticket_settings(&self) -> Option<Arc<TicketSettings>> {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current ticket settings, on `conn`.
    pub(crate) async fn current_ticket_settings_on(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Arc<TicketSettings>, RepoError> {
        let version = Self::settings_version_on(conn).await?;
        self.ticket_settings_on(conn, version).await
    }
}

async fn pairs(
    conn: &mut AnyConnection,
    sql: &'static str,
) -> Result<HashMap<String, String>, RepoError> {
    sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Ok((col(r, "k")?, col(r, "v")?)))
        .collect()
}

async fn load(conn: &mut AnyConnection, version: i64) -> Result<TicketSettings, RepoError> {
    let policies = crate::sla::policies_on(conn).await?;
    let mut calendars = HashMap::new();
    for (id, spec) in pairs(conn, "SELECT id AS k, spec AS v FROM business_calendars").await? {
        let built = serde_json::from_str::<CalendarSpec>(&spec)
            .ok()
            .and_then(|spec| BusinessCalendar::new(spec).ok())
            .map(Arc::new);
        calendars.insert(id, built);
    }
    Ok(TicketSettings {
        version,
        policies,
        calendars,
        region_calendars: pairs(
            conn,
            "SELECT region_id AS k, calendar_id AS v FROM region_calendars",
        )
        .await?,
        channel_calendars: pairs(
            conn,
            "SELECT channel AS k, calendar_id AS v FROM channel_calendars",
        )
        .await?,
        routes: pairs(
            conn,
            "SELECT category AS k, group_id AS v FROM category_groups",
        )
        .await?,
        always_open: BusinessCalendar::new(CalendarSpec::always_open("UTC"))
            .map_err(|_| corrupt("default calendar"))?,
    })
}
