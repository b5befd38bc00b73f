//! Users repository (`users`). A user may belong to a team; deleting a user deletes its
//! API keys (`ON DELETE CASCADE`).

use switchyard_types::{Role, User, now_millis};

use crate::sql::{Sql, fetch_page, new_id, parse};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, name, email, team_id, role, created_at, updated_at"
    };
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Unique name.
    pub name: String,
    /// Contact address.
    pub email: Option<String>,
    /// Id of an existing team.
    pub team_id: Option<String>,
    /// What the user may do.
    pub role: Role,
}

impl NewUser {
    /// A user without email or team.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            name: name.into(),
            email: None,
            team_id: None,
            role,
        }
    }
}

/// Changes to a user; `None` leaves a field as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// New unique name.
    pub name: Option<String>,
    /// New email, or `Some(None)` to clear it.
    pub email: Option<Option<String>>,
    /// New team, or `Some(None)` to leave the team.
    pub team_id: Option<Option<String>>,
    /// New role.
    pub role: Option<Role>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    name: String,
    email: Option<String>,
    team_id: Option<String>,
    role: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            role: parse(&row.role, "users.role")?,
            id: row.id,
            name: row.name,
            email: row.email,
            team_id: row.team_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn write_error(err: sqlx::Error, name: &str, team_id: Option<&str>) -> StoreError {
    StoreError::on_write(
        err,
        || format!("user `{name}` already exists"),
        || format!("team `{}` does not exist", team_id.unwrap_or_default()),
    )
}

/// Repository of users.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    store: &'a Store,
}

impl<'a> Users<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a user; a taken name or a missing team is a `Conflict`.
    pub async fn create(&self, new: &NewUser) -> Result<User, StoreError> {
        let sql = concat!(
            "INSERT INTO users (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ",
            columns!()
        );
        let row: UserRow = sqlx::query_as(sql)
            .bind(new_id())
            .bind(&new.name)
            .bind(&new.email)
            .bind(&new.team_id)
            .bind(new.role.as_str())
            .bind(now_millis())
            .fetch_one(self.store.pool())
            .await
            .map_err(|e| write_error(e, &new.name, new.team_id.as_deref()))?;
        row.try_into()
    }

    /// The user with this id.
    pub async fn get(&self, id: &str) -> Result<Option<User>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
        let row: Option<UserRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(User::try_from).transpose()
    }

    /// The user with this name.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE name = $1");
        let row: Option<UserRow> = sqlx::query_as(sql)
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(User::try_from).transpose()
    }

    /// One page of users, oldest first.
    pub async fn list(&self, page: Page) -> Result<Paged<User>, StoreError> {
        let (rows, total) = fetch_page::<UserRow>(
            self.store,
            "SELECT COUNT(*) FROM users",
            concat!(
                "SELECT ",
                columns!(),
                " FROM users ORDER BY created_at, id LIMIT $1 OFFSET $2"
            ),
            page,
        )
        .await?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(User::try_from)
                .collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Applies a patch; `None` when no user has this id.
    pub async fn update(&self, id: &str, patch: &UserPatch) -> Result<Option<User>, StoreError> {
        let mut sql = Sql::new("UPDATE users SET updated_at = ");
        sql.bind(now_millis());
        if let Some(name) = &patch.name {
            sql.push(", name = ").bind(name.clone());
        }
        if let Some(email) = &patch.email {
            sql.push(", email = ").bind(email.clone());
        }
        if let Some(team_id) = &patch.team_id {
            sql.push(", team_id = ").bind(team_id.clone());
        }
        if let Some(role) = patch.role {
            sql.push(", role = ").bind(role.as_str());
        }
        sql.push(" WHERE id = ").bind(id.to_owned());
        sql.push(concat!(" RETURNING ", columns!()));
        let (text, args) = sql.finish()?;
        let team_id = patch.team_id.clone().flatten();
        let row: Option<UserRow> = sqlx::query_as_with(&text, args)
            .fetch_optional(self.store.pool())
            .await
            .map_err(|e| write_error(e, patch.name.as_deref().unwrap_or(id), team_id.as_deref()))?;
        row.map(User::try_from).transpose()
    }

    /// Deletes a user and its API keys; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
