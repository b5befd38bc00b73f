//! Models repository (`ai_models`). A model belongs to one provider (foreign key, delete
//! restricted); reads join the provider to fill `Model::provider` with its name.
//!
//! Writes that may bind a NULL price run as unprepared (`persistent(false)`) statements:
//! sqlx 0.8's `Any` sends a NULL `f64` to PostgreSQL typed `float4` (its Real/Double null
//! mapping is swapped, sqlx#4284), and a cached statement first prepared with that NULL
//! rejects a later non-NULL price ("incorrect binary data format").

use sqlx::{Any, Transaction};
use switchyard_types::{Capability, Model, ModelKind, Pricing, TaskType, now_millis};

use crate::sql::{DbBool, Sql, from_int, from_json, from_opt_int, new_id, to_json, total};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "m.id, m.provider_id, p.name AS provider, m.name, m.upstream_name, m.kinds, \
         m.capabilities, m.task_types, m.context_window, m.max_output_tokens, \
         m.input_cost_per_mtok, m.output_cost_per_mtok, m.cached_input_cost_per_mtok, \
         m.cost_per_image, m.cost_per_video_second, m.quality_tier, \
         m.time_to_first_token_ms, m.enabled, m.created_at, m.updated_at \
         FROM ai_models m JOIN ai_providers p ON p.id = m.provider_id"
    };
}

/// A model to create (or to upsert by provider and name).
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    /// Id of the serving provider; it must exist.
    pub provider_id: String,
    /// Public name, unique per provider.
    pub name: String,
    /// The provider's own name for the model.
    pub upstream_name: String,
    /// What the model produces.
    pub kinds: Vec<ModelKind>,
    /// Optional abilities.
    pub capabilities: Vec<Capability>,
    /// Task types it may be routed for.
    pub task_types: Vec<TaskType>,
    /// Context window in tokens.
    pub context_window: u32,
    /// Most output tokens per request.
    pub max_output_tokens: u32,
    /// Prices in USD.
    pub pricing: Pricing,
    /// 1 best .. 5 cheapest.
    pub quality_tier: u8,
    /// Deadline for a stream's first event, in milliseconds; `None`: none.
    pub time_to_first_token_ms: Option<u64>,
    /// Whether the model is routed to.
    pub enabled: bool,
}

impl NewModel {
    /// A chat model with the configuration defaults (upstream name = name, 8192-token
    /// context, 4096 output tokens, free, tier 3, enabled).
    pub fn new(provider_id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            provider_id: provider_id.into(),
            upstream_name: name.clone(),
            name,
            kinds: vec![ModelKind::Chat],
            capabilities: Vec::new(),
            task_types: vec![TaskType::Chat],
            context_window: 8192,
            max_output_tokens: 4096,
            pricing: Pricing::default(),
            quality_tier: 3,
            time_to_first_token_ms: None,
            enabled: true,
        }
    }
}

/// Changes to a model; `None` leaves a field as it is, `Some(None)` clears a nullable price.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelPatch {
    /// Move the model to another (existing) provider.
    pub provider_id: Option<String>,
    /// New public name.
    pub name: Option<String>,
    /// New upstream name.
    pub upstream_name: Option<String>,
    /// New kinds (replaces the list).
    pub kinds: Option<Vec<ModelKind>>,
    /// New capabilities (replaces the list).
    pub capabilities: Option<Vec<Capability>>,
    /// New task types (replaces the list).
    pub task_types: Option<Vec<TaskType>>,
    /// New context window.
    pub context_window: Option<u32>,
    /// New output limit.
    pub max_output_tokens: Option<u32>,
    /// New input price per million tokens.
    pub input_cost_per_mtok: Option<f64>,
    /// New output price per million tokens.
    pub output_cost_per_mtok: Option<f64>,
    /// New cached-input price, or `Some(None)` to clear it.
    pub cached_input_cost_per_mtok: Option<Option<f64>>,
    /// New per-image price, or `Some(None)` to clear it.
    pub cost_per_image: Option<Option<f64>>,
    /// New per-video-second price, or `Some(None)` to clear it.
    pub cost_per_video_second: Option<Option<f64>>,
    /// New quality tier.
    pub quality_tier: Option<u8>,
    /// New first-event deadline, or `Some(None)` to clear it.
    pub time_to_first_token_ms: Option<Option<u64>>,
    /// New enabled flag.
    pub enabled: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    id: String,
    provider_id: String,
    provider: String,
    name: String,
    upstream_name: String,
    kinds: String,
    capabilities: String,
    task_types: String,
    context_window: i64,
    max_output_tokens: i64,
    input_cost_per_mtok: f64,
    output_cost_per_mtok: f64,
    cached_input_cost_per_mtok: Option<f64>,
    cost_per_image: Option<f64>,
    cost_per_video_second: Option<f64>,
    quality_tier: i64,
    time_to_first_token_ms: Option<i64>,
    enabled: DbBool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ModelRow> for Model {
    type Error = StoreError;

    fn try_from(row: ModelRow) -> Result<Self, StoreError> {
        Ok(Model {
            kinds: from_json(&row.kinds, "ai_models.kinds")?,
            capabilities: from_json(&row.capabilities, "ai_models.capabilities")?,
            task_types: from_json(&row.task_types, "ai_models.task_types")?,
            context_window: from_int(row.context_window, "ai_models.context_window")?,
            max_output_tokens: from_int(row.max_output_tokens, "ai_models.max_output_tokens")?,
            quality_tier: from_int(row.quality_tier, "ai_models.quality_tier")?,
            time_to_first_token_ms: from_opt_int(
                row.time_to_first_token_ms,
                "ai_models.time_to_first_token_ms",
            )?,
            pricing: Pricing {
                input_cost_per_mtok: row.input_cost_per_mtok,
                output_cost_per_mtok: row.output_cost_per_mtok,
                cached_input_cost_per_mtok: row.cached_input_cost_per_mtok,
                cost_per_image: row.cost_per_image,
                cost_per_video_second: row.cost_per_video_second,
            },
            id: row.id,
            provider_id: row.provider_id,
            provider: row.provider,
            name: row.name,
            upstream_name: row.upstream_name,
            enabled: row.enabled.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A millisecond count as stored (saturating: no deadline is that long).
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn convert(rows: Vec<ModelRow>) -> Result<Vec<Model>, StoreError> {
    rows.into_iter().map(Model::try_from).collect()
}

/// The name of a provider inside `tx`, or a `Conflict` saying it does not exist.
async fn provider_name(tx: &mut Transaction<'_, Any>, id: &str) -> Result<String, StoreError> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM ai_providers WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    name.ok_or_else(|| missing_provider(id))
}

fn missing_provider(id: &str) -> StoreError {
    StoreError::Conflict(format!("provider `{id}` does not exist"))
}

/// Reads one model by id inside `tx`.
async fn fetch(tx: &mut Transaction<'_, Any>, id: &str) -> Result<Option<Model>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " WHERE m.id = $1");
    let row: Option<ModelRow> = sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(Model::try_from).transpose()
}

/// Repository of models.
#[derive(Debug, Clone, Copy)]
pub struct Models<'a> {
    store: &'a Store,
}

impl<'a> Models<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a model; a name taken at that provider or a missing provider is a `Conflict`.
    pub async fn create(&self, new: &NewModel) -> Result<Model, StoreError> {
        self.insert(new, false).await
    }

    /// Inserts the model or, if the provider already has one of that name, overwrites every
    /// field but id and `created_at`.
    pub async fn upsert(&self, new: &NewModel) -> Result<Model, StoreError> {
        self.insert(new, true).await
    }

    async fn insert(&self, new: &NewModel, upsert: bool) -> Result<Model, StoreError> {
        const INSERT: &str = "INSERT INTO ai_models (id, provider_id, name, upstream_name, kinds, \
            capabilities, task_types, context_window, max_output_tokens, input_cost_per_mtok, \
            output_cost_per_mtok, cached_input_cost_per_mtok, cost_per_image, \
            cost_per_video_second, quality_tier, enabled, created_at, updated_at, \
            time_to_first_token_ms) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)";
        const UPSERT: &str = " ON CONFLICT (provider_id, name) DO UPDATE SET \
            upstream_name = excluded.upstream_name, kinds = excluded.kinds, \
            capabilities = excluded.capabilities, task_types = excluded.task_types, \
            context_window = excluded.context_window, \
            max_output_tokens = excluded.max_output_tokens, \
            input_cost_per_mtok = excluded.input_cost_per_mtok, \
            output_cost_per_mtok = excluded.output_cost_per_mtok, \
            cached_input_cost_per_mtok = excluded.cached_input_cost_per_mtok, \
            cost_per_image = excluded.cost_per_image, \
            cost_per_video_second = excluded.cost_per_video_second, \
            quality_tier = excluded.quality_tier, enabled = excluded.enabled, \
            time_to_first_token_ms = excluded.time_to_first_token_ms, \
            updated_at = excluded.updated_at";
        let sql = [INSERT, if upsert { UPSERT } else { "" }, " RETURNING id"].concat();
        let mut tx = self.store.begin_write().await?;
        let provider = provider_name(&mut tx, &new.provider_id).await?;
        let id: String = sqlx::query_scalar(&sql)
            .persistent(false)
            .bind(new_id())
            .bind(&new.provider_id)
            .bind(&new.name)
            .bind(&new.upstream_name)
            .bind(to_json(&new.kinds))
            .bind(to_json(&new.capabilities))
            .bind(to_json(&new.task_types))
            .bind(i64::from(new.context_window))
            .bind(i64::from(new.max_output_tokens))
            .bind(new.pricing.input_cost_per_mtok)
            .bind(new.pricing.output_cost_per_mtok)
            .bind(new.pricing.cached_input_cost_per_mtok)
            .bind(new.pricing.cost_per_image)
            .bind(new.pricing.cost_per_video_second)
            .bind(i64::from(new.quality_tier))
            .bind(new.enabled)
            .bind(now_millis())
            .bind(new.time_to_first_token_ms.map(to_i64))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || {
                        format!(
                            "model `{}` already exists at provider `{provider}`",
                            new.name
                        )
                    },
                    || format!("provider `{}` does not exist", new.provider_id),
                )
            })?;
        let model = fetch(&mut tx, &id).await?;
        tx.commit().await?;
        model.ok_or_else(|| missing_provider(&new.provider_id))
    }

    /// The model with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Model>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " WHERE m.id = $1");
        let row: Option<ModelRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Model::try_from).transpose()
    }

    /// One page of models, oldest first, optionally only those of one provider.
    pub async fn list(
        &self,
        page: Page,
        provider_id: Option<&str>,
    ) -> Result<Paged<Model>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM ai_models m");
        let mut select = Sql::new(concat!("SELECT ", columns!()));
        if let Some(provider_id) = provider_id {
            count
                .push(" WHERE m.provider_id = ")
                .bind(provider_id.to_owned());
            select
                .push(" WHERE m.provider_id = ")
                .bind(provider_id.to_owned());
        }
        select.push(" ORDER BY m.created_at, m.id").page(page);
        let (text, args) = count.finish()?;
        let count: i64 = sqlx::query_scalar_with(&text, args)
            .fetch_one(self.store.pool())
            .await?;
        let (text, args) = select.finish()?;
        let rows: Vec<ModelRow> = sqlx::query_as_with(&text, args)
            .fetch_all(self.store.pool())
            .await?;
        Ok(Paged {
            items: convert(rows)?,
            total: total(count),
        })
    }

    /// Every model, oldest first.
    pub async fn list_all(&self) -> Result<Vec<Model>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " ORDER BY m.created_at, m.id");
        convert(sqlx::query_as(sql).fetch_all(self.store.pool()).await?)
    }

    /// Applies a patch; `None` when no model has this id.
    pub async fn update(&self, id: &str, patch: &ModelPatch) -> Result<Option<Model>, StoreError> {
        let mut sql = Sql::new("UPDATE ai_models SET updated_at = ");
        sql.bind(now_millis());
        if let Some(v) = &patch.provider_id {
            sql.push(", provider_id = ").bind(v.clone());
        }
        if let Some(v) = &patch.name {
            sql.push(", name = ").bind(v.clone());
        }
        if let Some(v) = &patch.upstream_name {
            sql.push(", upstream_name = ").bind(v.clone());
        }
        if let Some(v) = &patch.kinds {
            sql.push(", kinds = ").bind(to_json(v));
        }
        if let Some(v) = &patch.capabilities {
            sql.push(", capabilities = ").bind(to_json(v));
        }
        if let Some(v) = &patch.task_types {
            sql.push(", task_types = ").bind(to_json(v));
        }
        if let Some(v) = patch.context_window {
            sql.push(", context_window = ").bind(i64::from(v));
        }
        if let Some(v) = patch.max_output_tokens {
            sql.push(", max_output_tokens = ").bind(i64::from(v));
        }
        if let Some(v) = patch.input_cost_per_mtok {
            sql.push(", input_cost_per_mtok = ").bind(v);
        }
        if let Some(v) = patch.output_cost_per_mtok {
            sql.push(", output_cost_per_mtok = ").bind(v);
        }
        if let Some(v) = patch.cached_input_cost_per_mtok {
            sql.push(", cached_input_cost_per_mtok = ").bind(v);
        }
        if let Some(v) = patch.cost_per_image {
            sql.push(", cost_per_image = ").bind(v);
        }
        if let Some(v) = patch.cost_per_video_second {
            sql.push(", cost_per_video_second = ").bind(v);
        }
        if let Some(v) = patch.quality_tier {
            sql.push(", quality_tier = ").bind(i64::from(v));
        }
        if let Some(v) = patch.time_to_first_token_ms {
            sql.push(", time_to_first_token_ms = ").bind(v.map(to_i64));
        }
        if let Some(v) = patch.enabled {
            sql.push(", enabled = ").bind(v);
        }
        sql.push(" WHERE id = ")
            .bind(id.to_owned())
            .push(" RETURNING id");
        let (text, args) = sql.finish()?;
        let mut tx = self.store.begin_write().await?;
        let updated: Option<String> = sqlx::query_scalar_with(&text, args)
            .persistent(false)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || match &patch.name {
                        Some(name) => format!("model `{name}` already exists at that provider"),
                        None => format!("model `{id}` already exists at that provider"),
                    },
                    || {
                        format!(
                            "provider `{}` does not exist",
                            patch.provider_id.as_deref().unwrap_or("")
                        )
                    },
                )
            })?;
        let model = match updated {
            Some(id) => fetch(&mut tx, &id).await?,
            None => None,
        };
        tx.commit().await?;
        Ok(model)
    }

    /// Deletes a model; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM ai_models WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
