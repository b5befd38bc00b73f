//! Switchyard persistence: one [`Store`] over SQLite and PostgreSQL through sqlx's `Any`
//! driver, with a small repository per table. SQL is written once in the dialect both share.

mod error;
mod sql;
mod store;

pub mod api_keys;
pub mod bus;
pub mod counters;
pub mod groups;
pub mod media;
pub mod models;
pub mod providers;
pub mod quotas;
pub mod redis_link;
pub mod task_leases;
pub mod tasks;
pub mod teams;
#[cfg(feature = "testing")]
pub mod testing;
pub mod usage;
pub mod usage_report;
pub mod usage_totals;
pub mod users;

pub use api_keys::{ApiKeyPatch, ApiKeys, NewApiKey};
pub use bus::Bus;
pub use counters::{Counters, RateDecision, Reserved};
pub use error::StoreError;
pub use groups::{GroupPatch, Groups, NewGroup};
pub use media::Media;
pub use models::{ModelPatch, Models, NewModel};
pub use providers::{NewProvider, ProviderPatch, ProviderSecret, Providers};
pub use quotas::{NewQuota, QuotaPatch, Quotas};
pub use redis_link::RedisLink;
pub use store::{Backend, Store};
pub use tasks::{NewTask, Tasks};
pub use teams::{NewTeam, TeamPatch, Teams};
pub use usage::{StatusClass, Usage, UsageCursor, UsageFilter};
pub use usage_report::{GroupBy, GroupValue, UsageGroup, UsageReport, UsageStats};
pub use usage_totals::UsageTotals;
pub use users::{NewUser, UserPatch, Users};

/// One page of a listing: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Maximum number of rows returned.
    pub limit: u32,
    /// Number of rows skipped, in the listing's stable order.
    pub offset: u32,
}

impl Page {
    /// A page of `limit` rows starting after `offset` rows.
    pub fn new(limit: u32, offset: u32) -> Self {
        Self { limit, offset }
    }
}

impl Default for Page {
    /// The first 100 rows.
    fn default() -> Self {
        Self::new(100, 0)
    }
}

/// A page of rows with the total number of rows the listing matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    /// The rows of this page, ordered by creation time then id.
    pub items: Vec<T>,
    /// How many rows match the listing across all pages.
    pub total: u64,
}
