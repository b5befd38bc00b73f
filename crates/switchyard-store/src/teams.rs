//! Teams repository (`teams`). Deleting a team leaves its users without a team
//! (`ON DELETE SET NULL`).

use switchyard_types::{Team, now_millis};

use crate::sql::{fetch_page, new_id};
use crate::{Page, Paged, Store, StoreError};

/// A team to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    /// Unique name.
    pub name: String,
}

/// Changes to a team; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamPatch {
    /// New unique name.
    pub name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: String,
    name: String,
    created_at: i64,
    updated_at: i64,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Team {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("team `{name}` already exists")
}

/// Repository of teams.
#[derive(Debug, Clone, Copy)]
pub struct Teams<'a> {
    store: &'a Store,
}

impl<'a> Teams<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a team; a taken name is a `Conflict`.
    pub async fn create(&self, new: &NewTeam) -> Result<Team, StoreError> {
        let row: TeamRow = sqlx::query_as(
            "INSERT INTO teams (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             RETURNING id, name, created_at, updated_at",
        )
        .bind(new_id())
        .bind(&new.name)
        .bind(now_millis())
        .fetch_one(self.store.pool())
        .await
        .map_err(|e| StoreError::on_write(e, duplicate(&new.name), String::new))?;
        Ok(row.into())
    }

    /// The team with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Team>, StoreError> {
        let row: Option<TeamRow> =
            sqlx::query_as("SELECT id, name, created_at, updated_at FROM teams WHERE id = $1")
                .bind(id)
                .fetch_optional(self.store.pool())
                .await?;
        Ok(row.map(Team::from))
    }

    /// One page of teams, oldest first.
    pub async fn list(&self, page: Page) -> Result<Paged<Team>, StoreError> {
        let (rows, total) = fetch_page::<TeamRow>(
            self.store,
            "SELECT COUNT(*) FROM teams",
            "SELECT id, name, created_at, updated_at FROM teams ORDER BY created_at, id LIMIT $1 OFFSET $2",
            page,
        )
        .await?;
        Ok(Paged {
            items: rows.into_iter().map(Team::from).collect(),
            total,
        })
    }

    /// Applies a patch; `None` when no team has this id.
    pub async fn update(&self, id: &str, patch: &TeamPatch) -> Result<Option<Team>, StoreError> {
        let row: Option<TeamRow> = sqlx::query_as(
            "UPDATE teams SET name = COALESCE($1, name), updated_at = $2 WHERE id = $3 \
             RETURNING id, name, created_at, updated_at",
        )
        .bind(&patch.name)
        .bind(now_millis())
        .bind(id)
        .fetch_optional(self.store.pool())
        .await
        .map_err(|e| {
            StoreError::on_write(
                e,
                duplicate(patch.name.as_deref().unwrap_or(id)),
                String::new,
            )
        })?;
        Ok(row.map(Team::from))
    }

    /// Deletes a team, leaving its users without one; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
