//! API keys repository (`api_keys`). Keys are stored as a hash next to a non-secret prefix;
//! authentication looks candidates up by prefix and compares hashes itself.

use switchyard_types::{ApiKey, Millis, Role, now_millis};

use crate::sql::{DbBool, Sql, from_json, new_id, parse, to_json, total};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, name, prefix, hash, role, user_id, expires_at, allowed_models, enabled, \
         last_used_at, created_at, rate_limit_rpm, rate_limit_tpm"
    };
}

/// A key to store: the caller generates the secret and keeps only its hash here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// Label shown to people.
    pub name: String,
    /// Non-secret start of the key, used to find it.
    pub prefix: String,
    /// Hash of the full key.
    pub hash: Vec<u8>,
    /// What the key may do.
    pub role: Role,
    /// Id of the owning (existing) user.
    pub user_id: String,
    /// When the key stops working.
    pub expires_at: Option<Millis>,
    /// Models or groups the key may use; empty means all.
    pub allowed_models: Vec<String>,
    /// Whether the key works.
    pub enabled: bool,
    /// Requests per minute this key may make; `None` for no limit.
    pub rate_limit_rpm: Option<u32>,
    /// Tokens per minute this key may use; `None` for no limit.
    pub rate_limit_tpm: Option<u32>,
}

/// Changes to a key; `None` leaves a field as it is, `Some(None)` clears the expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeyPatch {
    /// New label.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New expiry, or `Some(None)` for none.
    pub expires_at: Option<Option<Millis>>,
    /// New allowed models (replaces the list).
    pub allowed_models: Option<Vec<String>>,
    /// New requests-per-minute limit, or `Some(None)` for none.
    pub rate_limit_rpm: Option<Option<u32>>,
    /// New tokens-per-minute limit, or `Some(None)` for none.
    pub rate_limit_tpm: Option<Option<u32>>,
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: String,
    name: String,
    prefix: String,
    hash: Vec<u8>,
    role: String,
    user_id: String,
    expires_at: Option<i64>,
    allowed_models: String,
    enabled: DbBool,
    last_used_at: Option<i64>,
    created_at: i64,
    rate_limit_rpm: Option<i64>,
    rate_limit_tpm: Option<i64>,
}

impl ApiKeyRow {
    /// The public record and the stored hash.
    fn split(self) -> Result<(ApiKey, Vec<u8>), StoreError> {
        let key = ApiKey {
            role: parse(&self.role, "api_keys.role")?,
            allowed_models: from_json(&self.allowed_models, "api_keys.allowed_models")?,
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            user_id: self.user_id,
            expires_at: self.expires_at,
            enabled: self.enabled.0,
            last_used_at: self.last_used_at,
            created_at: self.created_at,
            rate_limit_rpm: self.rate_limit_rpm.and_then(|v| u32::try_from(v).ok()),
            rate_limit_tpm: self.rate_limit_tpm.and_then(|v| u32::try_from(v).ok()),
        };
        Ok((key, self.hash))
    }
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        row.split().map(|(key, _)| key)
    }
}

/// Repository of API keys.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeys<'a> {
    store: &'a Store,
}

impl<'a> ApiKeys<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Stores a key; a missing user is a `Conflict`.
    pub async fn create(&self, new: &NewApiKey) -> Result<ApiKey, StoreError> {
        let sql = concat!(
            "INSERT INTO api_keys (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12) RETURNING ",
            columns!()
        );
        let row: ApiKeyRow = sqlx::query_as(sql)
            .bind(new_id())
            .bind(&new.name)
            .bind(&new.prefix)
            .bind(&new.hash)
            .bind(new.role.as_str())
            .bind(&new.user_id)
            .bind(new.expires_at)
            .bind(to_json(&new.allowed_models))
            .bind(new.enabled)
            .bind(now_millis())
            .bind(new.rate_limit_rpm.map(i64::from))
            .bind(new.rate_limit_tpm.map(i64::from))
            .fetch_one(self.store.pool())
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || format!("API key `{}` already exists", new.name),
                    || format!("user `{}` does not exist", new.user_id),
                )
            })?;
        row.try_into()
    }

    /// Every key with this prefix, each with its stored hash, oldest first.
    pub async fn find_by_prefix(&self, prefix: &str) -> Result<Vec<(ApiKey, Vec<u8>)>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM api_keys WHERE prefix = $1 ORDER BY created_at, id"
        );
        let rows: Vec<ApiKeyRow> = sqlx::query_as(sql)
            .bind(prefix)
            .fetch_all(self.store.pool())
            .await?;
        rows.into_iter().map(ApiKeyRow::split).collect()
    }

    /// The key with this id.
    pub async fn get(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM api_keys WHERE id = $1");
        let row: Option<ApiKeyRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(ApiKey::try_from).transpose()
    }

    /// One page of keys, oldest first, optionally only one user's.
    pub async fn list(
        &self,
        page: Page,
        user_id: Option<&str>,
    ) -> Result<Paged<ApiKey>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM api_keys");
        let mut select = Sql::new(concat!("SELECT ", columns!(), " FROM api_keys"));
        if let Some(user_id) = user_id {
            count.push(" WHERE user_id = ").bind(user_id.to_owned());
            select.push(" WHERE user_id = ").bind(user_id.to_owned());
        }
        select.push(" ORDER BY created_at, id").page(page);
        let (text, args) = count.finish()?;
        let count: i64 = sqlx::query_scalar_with(&text, args)
            .fetch_one(self.store.pool())
            .await?;
        let (text, args) = select.finish()?;
        let rows: Vec<ApiKeyRow> = sqlx::query_as_with(&text, args)
            .fetch_all(self.store.pool())
            .await?;
        let items = rows
            .into_iter()
            .map(ApiKey::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Paged {
            items,
            total: total(count),
        })
    }

    /// Applies a patch; `None` when no key has this id.
    pub async fn update(
        &self,
        id: &str,
        patch: &ApiKeyPatch,
    ) -> Result<Option<ApiKey>, StoreError> {
        // `id = id` keeps the statement valid when the patch is empty.
        let mut sql = Sql::new("UPDATE api_keys SET id = id");
        if let Some(name) = &patch.name {
            sql.push(", name = ").bind(name.clone());
        }
        if let Some(role) = patch.role {
            sql.push(", role = ").bind(role.as_str());
        }
        if let Some(enabled) = patch.enabled {
            sql.push(", enabled = ").bind(enabled);
        }
        if let Some(expires_at) = patch.expires_at {
            sql.push(", expires_at = ").bind(expires_at);
        }
        if let Some(allowed_models) = &patch.allowed_models {
            sql.push(", allowed_models = ")
                .bind(to_json(allowed_models));
        }
        if let Some(rpm) = patch.rate_limit_rpm {
            sql.push(", rate_limit_rpm = ").bind(rpm.map(i64::from));
        }
        if let Some(tpm) = patch.rate_limit_tpm {
            sql.push(", rate_limit_tpm = ").bind(tpm.map(i64::from));
        }
        sql.push(" WHERE id = ").bind(id.to_owned());
        sql.push(concat!(" RETURNING ", columns!()));
        let (text, args) = sql.finish()?;
        let row: Option<ApiKeyRow> = sqlx::query_as_with(&text, args)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(ApiKey::try_from).transpose()
    }

    /// Deletes a key; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records when a key was last used; `false` when none has this id.
    pub async fn touch_last_used(&self, id: &str, at: Millis) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// How many keys, enabled or not, have this role (for example: is there an admin key?).
    pub async fn count_by_role(&self, role: Role) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE role = $1")
            .bind(role.as_str())
            .fetch_one(self.store.pool())
            .await?;
        Ok(total(count))
    }
}
