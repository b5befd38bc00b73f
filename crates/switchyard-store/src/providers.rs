//! Providers repository (`ai_providers`). The API key is write-only: reads expose only
//! `has_api_key`, and [`Providers::secret`] alone returns the stored reference or ciphertext.

use serde_json::Value;

use switchyard_types::{Provider, ProviderKind, now_millis};

use crate::sql::{DbBool, Sql, fetch_page, from_int, from_json, int, new_id, parse, to_json};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, name, kind, base_url, api_key_env, api_key_ciphertext, timeout_ms, \
         max_concurrency, free_tier, enabled, options, created_at, updated_at"
    };
}

/// Where a provider's API key comes from: an environment variable, or a literal key the
/// caller has already encrypted (the store only keeps the bytes).
#[derive(Clone, PartialEq, Eq)]
pub enum ProviderSecret {
    /// The name `VAR` of an `env:VAR` reference.
    Env(String),
    /// The ciphertext of a literal key.
    Encrypted(Vec<u8>),
}

impl std::fmt::Debug for ProviderSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env(var) => write!(f, "Env({var})"),
            Self::Encrypted(bytes) => write!(f, "Encrypted([{} bytes])", bytes.len()),
        }
    }
}

impl ProviderSecret {
    /// The `(api_key_env, api_key_ciphertext)` column pair for an optional secret.
    fn columns(secret: Option<&Self>) -> (Option<String>, Option<Vec<u8>>) {
        match secret {
            Some(Self::Env(var)) => (Some(var.clone()), None),
            Some(Self::Encrypted(bytes)) => (None, Some(bytes.clone())),
            None => (None, None),
        }
    }
}

/// A provider to create (or to upsert by name).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProvider {
    /// Unique name, `[a-z0-9_-]`.
    pub name: String,
    /// Wire protocol.
    pub kind: ProviderKind,
    /// Base URL; `None` means the kind's default.
    pub base_url: Option<String>,
    /// The key reference or ciphertext, if any.
    pub api_key: Option<ProviderSecret>,
    /// Upstream request timeout in milliseconds.
    pub timeout_ms: u64,
    /// Maximum in-flight requests to this provider.
    pub max_concurrency: u32,
    /// Whether the provider costs nothing.
    pub free_tier: bool,
    /// Whether the provider serves requests.
    pub enabled: bool,
    /// Kind-specific settings, a JSON object.
    pub options: Value,
}

impl NewProvider {
    /// A provider with the documented defaults: no base URL or key, 60 s timeout, 256 in flight,
    /// not free, enabled, empty options.
    pub fn new(name: impl Into<String>, kind: ProviderKind) -> Self {
        Self {
            name: name.into(),
            kind,
            base_url: None,
            api_key: None,
            timeout_ms: 60_000,
            max_concurrency: 256,
            free_tier: false,
            enabled: true,
            options: Value::Object(serde_json::Map::new()),
        }
    }
}

/// Changes to a provider; `None` leaves a field as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderPatch {
    /// New unique name.
    pub name: Option<String>,
    /// New wire protocol.
    pub kind: Option<ProviderKind>,
    /// New base URL, or `Some(None)` for the kind's default.
    pub base_url: Option<Option<String>>,
    /// New key, or `Some(None)` to remove it.
    pub api_key: Option<Option<ProviderSecret>>,
    /// New timeout in milliseconds.
    pub timeout_ms: Option<u64>,
    /// New concurrency limit.
    pub max_concurrency: Option<u32>,
    /// New free-tier flag.
    pub free_tier: Option<bool>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New options object (replaces the old one).
    pub options: Option<Value>,
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: String,
    name: String,
    kind: String,
    base_url: Option<String>,
    api_key_env: Option<String>,
    api_key_ciphertext: Option<Vec<u8>>,
    timeout_ms: i64,
    max_concurrency: i64,
    free_tier: DbBool,
    enabled: DbBool,
    options: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ProviderRow> for Provider {
    type Error = StoreError;

    fn try_from(row: ProviderRow) -> Result<Self, StoreError> {
        Ok(Provider {
            kind: parse(&row.kind, "ai_providers.kind")?,
            has_api_key: row.api_key_env.is_some() || row.api_key_ciphertext.is_some(),
            timeout_ms: from_int(row.timeout_ms, "ai_providers.timeout_ms")?,
            max_concurrency: from_int(row.max_concurrency, "ai_providers.max_concurrency")?,
            options: from_json(&row.options, "ai_providers.options")?,
            id: row.id,
            name: row.name,
            base_url: row.base_url,
            free_tier: row.free_tier.0,
            enabled: row.enabled.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn convert(rows: Vec<ProviderRow>) -> Result<Vec<Provider>, StoreError> {
    rows.into_iter().map(Provider::try_from).collect()
}

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("provider `{name}` already exists")
}

/// Repository of upstream providers.
#[derive(Debug, Clone, Copy)]
pub struct Providers<'a> {
    store: &'a Store,
}

impl<'a> Providers<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a provider; a taken name is a `Conflict`.
    pub async fn create(&self, new: &NewProvider) -> Result<Provider, StoreError> {
        self.insert(new, false).await
    }

    /// Inserts the provider or, if the name exists, overwrites every field but id and
    /// `created_at`.
    pub async fn upsert_by_name(&self, new: &NewProvider) -> Result<Provider, StoreError> {
        self.insert(new, true).await
    }

    async fn insert(&self, new: &NewProvider, upsert: bool) -> Result<Provider, StoreError> {
        const INSERT: &str = concat!(
            "INSERT INTO ai_providers (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
        );
        const UPSERT: &str = " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, \
            base_url = excluded.base_url, api_key_env = excluded.api_key_env, \
            api_key_ciphertext = excluded.api_key_ciphertext, timeout_ms = excluded.timeout_ms, \
            max_concurrency = excluded.max_concurrency, free_tier = excluded.free_tier, \
            enabled = excluded.enabled, options = excluded.options, \
            updated_at = excluded.updated_at";
        const RETURNING: &str = concat!(" RETURNING ", columns!());
        let sql = [INSERT, if upsert { UPSERT } else { "" }, RETURNING].concat();
        let (env, ciphertext) = ProviderSecret::columns(new.api_key.as_ref());
        let row: ProviderRow = sqlx::query_as(&sql)
            .bind(new_id())
            .bind(&new.name)
            .bind(new.kind.as_str())
            .bind(&new.base_url)
            .bind(env)
            .bind(ciphertext)
            .bind(int(new.timeout_ms))
            .bind(i64::from(new.max_concurrency))
            .bind(new.free_tier)
            .bind(new.enabled)
            .bind(to_json(&new.options))
            .bind(now_millis())
            .fetch_one(self.store.pool())
            .await
            .map_err(|e| StoreError::on_write(e, duplicate(&new.name), String::new))?;
        row.try_into()
    }

    /// The provider with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Provider>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM ai_providers WHERE id = $1");
        let row: Option<ProviderRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Provider::try_from).transpose()
    }

    /// The provider with this name.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<Provider>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM ai_providers WHERE name = $1");
        let row: Option<ProviderRow> = sqlx::query_as(sql)
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Provider::try_from).transpose()
    }

    /// One page of providers, oldest first.
    pub async fn list(&self, page: Page) -> Result<Paged<Provider>, StoreError> {
        let (rows, total) = fetch_page::<ProviderRow>(
            self.store,
            "SELECT COUNT(*) FROM ai_providers",
            concat!(
                "SELECT ",
                columns!(),
                " FROM ai_providers ORDER BY created_at, id LIMIT $1 OFFSET $2"
            ),
            page,
        )
        .await?;
        Ok(Paged {
            items: convert(rows)?,
            total,
        })
    }

    /// Every provider, oldest first.
    pub async fn list_all(&self) -> Result<Vec<Provider>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM ai_providers ORDER BY created_at, id"
        );
        convert(sqlx::query_as(sql).fetch_all(self.store.pool()).await?)
    }

    /// Applies a patch; `None` when no provider has this id.
    pub async fn update(
        &self,
        id: &str,
        patch: &ProviderPatch,
    ) -> Result<Option<Provider>, StoreError> {
        let mut sql = Sql::new("UPDATE ai_providers SET updated_at = ");
        sql.bind(now_millis());
        if let Some(name) = &patch.name {
            sql.push(", name = ").bind(name.clone());
        }
        if let Some(kind) = patch.kind {
            sql.push(", kind = ").bind(kind.as_str());
        }
        if let Some(base_url) = &patch.base_url {
            sql.push(", base_url = ").bind(base_url.clone());
        }
        if let Some(secret) = &patch.api_key {
            let (env, ciphertext) = ProviderSecret::columns(secret.as_ref());
            sql.push(", api_key_env = ").bind(env);
            sql.push(", api_key_ciphertext = ").bind(ciphertext);
        }
        if let Some(timeout_ms) = patch.timeout_ms {
            sql.push(", timeout_ms = ").bind(int(timeout_ms));
        }
        if let Some(max_concurrency) = patch.max_concurrency {
            sql.push(", max_concurrency = ")
                .bind(i64::from(max_concurrency));
        }
        if let Some(free_tier) = patch.free_tier {
            sql.push(", free_tier = ").bind(free_tier);
        }
        if let Some(enabled) = patch.enabled {
            sql.push(", enabled = ").bind(enabled);
        }
        if let Some(options) = &patch.options {
            sql.push(", options = ").bind(to_json(options));
        }
        sql.push(" WHERE id = ").bind(id.to_owned());
        sql.push(concat!(" RETURNING ", columns!()));
        let (text, args) = sql.finish()?;
        let name = patch.name.as_deref().unwrap_or(id);
        let row: Option<ProviderRow> = sqlx::query_as_with(&text, args)
            .fetch_optional(self.store.pool())
            .await
            .map_err(|e| StoreError::on_write(e, duplicate(name), String::new))?;
        row.map(Provider::try_from).transpose()
    }

    /// Deletes a provider; `false` when none has this id. Without `cascade`, a provider that
    /// models still use is refused (`InUse`); with it, those models go in the same transaction.
    pub async fn delete(&self, id: &str, cascade: bool) -> Result<bool, StoreError> {
        let mut tx = self.store.begin_write().await?;
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM ai_providers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(name) = name else {
            return Ok(false);
        };
        let in_use = |count: i64| {
            format!(
                "provider `{name}` is used by {count} model(s); delete them first or delete with cascade"
            )
        };
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ai_models WHERE provider_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if used > 0 {
            if !cascade {
                return Err(StoreError::InUse(in_use(used)));
            }
            sqlx::query("DELETE FROM ai_models WHERE provider_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("DELETE FROM ai_providers WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_delete(e, || in_use(1)))?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The stored key reference or ciphertext, for building the provider's client; `None`
    /// when the provider does not exist or has no key.
    pub async fn secret(&self, id: &str) -> Result<Option<ProviderSecret>, StoreError> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT api_key_env, api_key_ciphertext FROM ai_providers WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(match row {
            Some((Some(var), _)) => Some(ProviderSecret::Env(var)),
            Some((None, Some(bytes))) => Some(ProviderSecret::Encrypted(bytes)),
            _ => None,
        })
    }
}
