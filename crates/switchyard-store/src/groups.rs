//! Groups repository (`ai_groups`, `ai_group_members`). Members keep their order through a
//! `position` column and are always replaced as a whole, inside the group's transaction.

use std::collections::HashMap;

use sqlx::{Any, Executor, Transaction};
use switchyard_types::{Group, GroupMember, GroupStrategy, now_millis};

use crate::sql::{DbBool, Sql, from_int, from_json, new_id, parse, to_json, total};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, name, strategy, fallback_groups, max_attempts, enabled, created_at, updated_at"
    };
}

/// A group to create (or to upsert by name).
#[derive(Debug, Clone, PartialEq)]
pub struct NewGroup {
    /// Unique name, distinct from every model name.
    pub name: String,
    /// How a member is picked.
    pub strategy: GroupStrategy,
    /// Members in order.
    pub members: Vec<GroupMember>,
    /// Groups tried, in order, when every member failed.
    pub fallback_groups: Vec<String>,
    /// Most upstream attempts per request.
    pub max_attempts: u32,
    /// Whether the group is served.
    pub enabled: bool,
}

impl NewGroup {
    /// An enabled priority group without members or fallbacks, at most 3 attempts.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            strategy: GroupStrategy::Priority,
            members: Vec::new(),
            fallback_groups: Vec::new(),
            max_attempts: 3,
            enabled: true,
        }
    }
}

/// Changes to a group; `None` leaves a field as it is. `members` replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPatch {
    /// New unique name.
    pub name: Option<String>,
    /// New strategy.
    pub strategy: Option<GroupStrategy>,
    /// New members, in order (replaces every member).
    pub members: Option<Vec<GroupMember>>,
    /// New fallback groups (replaces the list).
    pub fallback_groups: Option<Vec<String>>,
    /// New attempt limit.
    pub max_attempts: Option<u32>,
    /// New enabled flag.
    pub enabled: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: String,
    name: String,
    strategy: String,
    fallback_groups: String,
    max_attempts: i64,
    enabled: DbBool,
    created_at: i64,
    updated_at: i64,
}

impl GroupRow {
    fn into_group(self, members: Vec<GroupMember>) -> Result<Group, StoreError> {
        Ok(Group {
            strategy: parse(&self.strategy, "ai_groups.strategy")?,
            fallback_groups: from_json(&self.fallback_groups, "ai_groups.fallback_groups")?,
            max_attempts: from_int(self.max_attempts, "ai_groups.max_attempts")?,
            id: self.id,
            name: self.name,
            members,
            enabled: self.enabled.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    group_id: String,
    model: String,
    weight: i64,
    priority: i64,
}

impl TryFrom<MemberRow> for GroupMember {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(GroupMember {
            weight: from_int(row.weight, "ai_group_members.weight")?,
            priority: from_int(row.priority, "ai_group_members.priority")?,
            model: row.model,
        })
    }
}

/// The members of the given groups, each list in its stored order.
async fn load_members<'c, E>(
    executor: E,
    group_ids: &[&str],
) -> Result<HashMap<String, Vec<GroupMember>>, StoreError>
where
    E: Executor<'c, Database = Any>,
{
    let mut by_group: HashMap<String, Vec<GroupMember>> = HashMap::new();
    let Some((first, rest)) = group_ids.split_first() else {
        return Ok(by_group);
    };
    let mut sql = Sql::new(
        "SELECT group_id, model, weight, priority FROM ai_group_members WHERE group_id IN (",
    );
    sql.bind((*first).to_owned());
    for id in rest {
        sql.push(", ").bind((*id).to_owned());
    }
    sql.push(") ORDER BY group_id, position");
    let (text, args) = sql.finish()?;
    let rows: Vec<MemberRow> = sqlx::query_as_with(&text, args).fetch_all(executor).await?;
    for row in rows {
        let group_id = row.group_id.clone();
        by_group.entry(group_id).or_default().push(row.try_into()?);
    }
    Ok(by_group)
}

/// Joins group rows with their members.
fn assemble(
    rows: Vec<GroupRow>,
    mut members: HashMap<String, Vec<GroupMember>>,
) -> Result<Vec<Group>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let list = members.remove(&row.id).unwrap_or_default();
            row.into_group(list)
        })
        .collect()
}

/// A `Conflict` naming the first model listed twice, if any.
fn check_members(group: &str, members: &[GroupMember]) -> Result<(), StoreError> {
    for (i, member) in members.iter().enumerate() {
        if members[..i].iter().any(|m| m.model == member.model) {
            return Err(StoreError::Conflict(format!(
                "group `{group}` lists model `{}` more than once",
                member.model
            )));
        }
    }
    Ok(())
}

/// Replaces a group's members with `members`, in order.
async fn replace_members(
    tx: &mut Transaction<'_, Any>,
    group_id: &str,
    group: &str,
    members: &[GroupMember],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM ai_group_members WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut **tx)
        .await?;
    if members.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(
        "INSERT INTO ai_group_members (group_id, model, weight, priority, position) VALUES ",
    );
    for (position, member) in members.iter().enumerate() {
        sql.push(if position == 0 { "(" } else { ", (" });
        sql.bind(group_id.to_owned()).push(", ");
        sql.bind(member.model.clone()).push(", ");
        sql.bind(i64::from(member.weight)).push(", ");
        sql.bind(i64::from(member.priority)).push(", ");
        sql.bind(crate::sql::int(position)).push(")");
    }
    let (text, args) = sql.finish()?;
    sqlx::query_with(&text, args)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            StoreError::on_write(
                e,
                || format!("group `{group}` lists a model more than once"),
                || format!("group `{group}` does not exist"),
            )
        })?;
    Ok(())
}

fn duplicate(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("group `{name}` already exists")
}

/// Repository of model groups.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a> {
    store: &'a Store,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a group with its members; a taken name is a `Conflict`.
    pub async fn create(&self, new: &NewGroup) -> Result<Group, StoreError> {
        self.insert(new, false).await
    }

    /// Inserts the group or, if the name exists, overwrites every field and the members,
    /// keeping id and `created_at`.
    pub async fn upsert_by_name(&self, new: &NewGroup) -> Result<Group, StoreError> {
        self.insert(new, true).await
    }

    async fn insert(&self, new: &NewGroup, upsert: bool) -> Result<Group, StoreError> {
        const INSERT: &str = concat!(
            "INSERT INTO ai_groups (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
        );
        const UPSERT: &str = " ON CONFLICT (name) DO UPDATE SET strategy = excluded.strategy, \
            fallback_groups = excluded.fallback_groups, max_attempts = excluded.max_attempts, \
            enabled = excluded.enabled, updated_at = excluded.updated_at";
        const RETURNING: &str = concat!(" RETURNING ", columns!());
        check_members(&new.name, &new.members)?;
        let sql = [INSERT, if upsert { UPSERT } else { "" }, RETURNING].concat();
        let mut tx = self.store.begin_write().await?;
        let row: GroupRow = sqlx::query_as(&sql)
            .bind(new_id())
            .bind(&new.name)
            .bind(new.strategy.as_str())
            .bind(to_json(&new.fallback_groups))
            .bind(i64::from(new.max_attempts))
            .bind(new.enabled)
            .bind(now_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::on_write(e, duplicate(&new.name), String::new))?;
        replace_members(&mut tx, &row.id, &new.name, &new.members).await?;
        tx.commit().await?;
        row.into_group(new.members.clone())
    }

    /// The group with this id, with its members.
    pub async fn get(&self, id: &str) -> Result<Option<Group>, StoreError> {
        self.get_where(
            concat!("SELECT ", columns!(), " FROM ai_groups WHERE id = $1"),
            id,
        )
        .await
    }

    /// The group with this name, with its members.
    pub async fn get_by_name(&self, name: &str) -> Result<Option<Group>, StoreError> {
        self.get_where(
            concat!("SELECT ", columns!(), " FROM ai_groups WHERE name = $1"),
            name,
        )
        .await
    }

    async fn get_where(&self, sql: &'static str, key: &str) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = sqlx::query_as(sql)
            .bind(key)
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut members = load_members(self.store.pool(), &[row.id.as_str()]).await?;
        let list = members.remove(&row.id).unwrap_or_default();
        row.into_group(list).map(Some)
    }

    /// One page of groups, oldest first.
    pub async fn list(&self, page: Page) -> Result<Paged<Group>, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ai_groups")
            .fetch_one(self.store.pool())
            .await?;
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM ai_groups ORDER BY created_at, id LIMIT $1 OFFSET $2"
        );
        let rows: Vec<GroupRow> = sqlx::query_as(sql)
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(self.store.pool())
            .await?;
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let members = load_members(self.store.pool(), &ids).await?;
        Ok(Paged {
            items: assemble(rows, members)?,
            total: total(count),
        })
    }

    /// Every group with its members, oldest first.
    pub async fn list_all(&self) -> Result<Vec<Group>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM ai_groups ORDER BY created_at, id"
        );
        let rows: Vec<GroupRow> = sqlx::query_as(sql).fetch_all(self.store.pool()).await?;
        let members: Vec<MemberRow> = sqlx::query_as(
            "SELECT group_id, model, weight, priority FROM ai_group_members \
             ORDER BY group_id, position",
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut by_group: HashMap<String, Vec<GroupMember>> = HashMap::new();
        for member in members {
            let group_id = member.group_id.clone();
            by_group
                .entry(group_id)
                .or_default()
                .push(member.try_into()?);
        }
        assemble(rows, by_group)
    }

    /// Applies a patch (members replaced when given); `None` when no group has this id.
    pub async fn update(&self, id: &str, patch: &GroupPatch) -> Result<Option<Group>, StoreError> {
        let mut sql = Sql::new("UPDATE ai_groups SET updated_at = ");
        sql.bind(now_millis());
        if let Some(name) = &patch.name {
            sql.push(", name = ").bind(name.clone());
        }
        if let Some(strategy) = patch.strategy {
            sql.push(", strategy = ").bind(strategy.as_str());
        }
        if let Some(fallback_groups) = &patch.fallback_groups {
            sql.push(", fallback_groups = ")
                .bind(to_json(fallback_groups));
        }
        if let Some(max_attempts) = patch.max_attempts {
            sql.push(", max_attempts = ").bind(i64::from(max_attempts));
        }
        if let Some(enabled) = patch.enabled {
            sql.push(", enabled = ").bind(enabled);
        }
        sql.push(" WHERE id = ").bind(id.to_owned());
        sql.push(concat!(" RETURNING ", columns!()));
        let (text, args) = sql.finish()?;
        let label = patch.name.as_deref().unwrap_or(id);
        if let Some(members) = &patch.members {
            check_members(label, members)?;
        }
        let mut tx = self.store.begin_write().await?;
        let row: Option<GroupRow> = sqlx::query_as_with(&text, args)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| StoreError::on_write(e, duplicate(label), String::new))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let members = match &patch.members {
            Some(members) => {
                replace_members(&mut tx, &row.id, &row.name, members).await?;
                members.clone()
            }
            None => load_members(&mut *tx, &[row.id.as_str()])
                .await?
                .remove(&row.id)
                .unwrap_or_default(),
        };
        tx.commit().await?;
        row.into_group(members).map(Some)
    }

    /// Deletes a group and its members; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM ai_groups WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
