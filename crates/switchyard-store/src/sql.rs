//! Plumbing shared by the repositories: ids, the conversions between domain values and the
//! few types `Any` carries (i64, f64, bool, text, bytes), and `Sql`, a builder for dynamic
//! statements that writes `$n` placeholders (sqlx's `QueryBuilder<Any>` writes `?`, which
//! PostgreSQL rejects). Values only ever travel as binds.

use std::fmt::{Display, Write as _};
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::{AnyArguments, AnyTypeInfo, AnyTypeInfoKind, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Any, Arguments, Decode, Encode, Type, ValueRef};

use crate::{Page, Store, StoreError};

/// A fresh row id: a UUID v7 string, so ids sort roughly by creation time.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A boolean column: BOOLEAN on PostgreSQL (decoded as `Bool`), INTEGER 0/1 on SQLite
/// (decoded as an integer). Plain `bool` only accepts the former through `Any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbBool(pub bool);

impl Type<Any> for DbBool {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Any> for DbBool {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        if value.type_info().kind() == AnyTypeInfoKind::Bool {
            <bool as Decode<Any>>::decode(value).map(DbBool)
        } else {
            <i64 as Decode<Any>>::decode(value).map(|v| DbBool(v != 0))
        }
    }
}

/// A domain count or size as stored: unsigned values saturate at `i64::MAX`.
pub(crate) fn int<T: TryInto<i64>>(value: T) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

/// A stored integer back as its domain type; out of range means the row is corrupt.
pub(crate) fn from_int<T: TryFrom<i64>>(value: i64, column: &str) -> Result<T, StoreError> {
    T::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("{column} = {value} is out of range")))
}

/// An optional stored integer back as its domain type.
pub(crate) fn from_opt_int<T: TryFrom<i64>>(
    value: Option<i64>,
    column: &str,
) -> Result<Option<T>, StoreError> {
    value.map(|v| from_int(v, column)).transpose()
}

/// A stored enum name back as its enum (`FromStr` of the types crate).
pub(crate) fn parse<T>(text: &str, column: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

/// A value as JSON text for a TEXT column.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising plain data (lists of names, `serde_json::Value`) cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// JSON text from a TEXT column back as its value.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("{column} is not valid JSON for its type: {e}")))
}

/// A `COUNT(*)` result as a total.
pub(crate) fn total(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}

/// A statement assembled at run time: literal SQL pieces and `$n` binds, in order.
pub(crate) struct Sql {
    text: String,
    args: AnyArguments<'static>,
    count: usize,
    error: Option<BoxDynError>,
}

impl Sql {
    /// Starts a statement with a literal SQL piece.
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    /// Appends literal SQL (never a value).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next `$n` placeholder and binds `value` to it.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        self.count += 1;
        let _ = write!(self.text, "${}", self.count);
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Appends `LIMIT $n OFFSET $m` for a page.
    pub(crate) fn page(&mut self, page: Page) -> &mut Self {
        self.push(" LIMIT ").bind(i64::from(page.limit));
        self.push(" OFFSET ").bind(i64::from(page.offset))
    }

    /// The finished SQL text and its arguments.
    pub(crate) fn finish(self) -> Result<(String, AnyArguments<'static>), StoreError> {
        match self.error {
            Some(e) => Err(StoreError::Database(sqlx::Error::Encode(e))),
            None => Ok((self.text, self.args)),
        }
    }
}

/// One page of rows (`page_sql` ends with `LIMIT $1 OFFSET $2`) and the total the
/// `count_sql` counts: the shared body of the repositories' `list`.
pub(crate) async fn fetch_page<R>(
    store: &Store,
    count_sql: &'static str,
    page_sql: &'static str,
    page: Page,
) -> Result<(Vec<R>, u64), StoreError>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let count: i64 = sqlx::query_scalar(count_sql)
        .fetch_one(store.pool())
        .await?;
    let rows: Vec<R> = sqlx::query_as(page_sql)
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(store.pool())
        .await?;
    Ok((rows, total(count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_numbers_placeholders_in_order() {
        let mut sql = Sql::new("SELECT * FROM t WHERE a = ");
        sql.bind(1_i64).push(" AND b = ").bind("x".to_owned());
        sql.page(Page::new(10, 20));
        let (text, args) = sql
            .finish()
            .unwrap_or_else(|_| (String::new(), AnyArguments::default()));
        assert_eq!(
            text,
            "SELECT * FROM t WHERE a = $1 AND b = $2 LIMIT $3 OFFSET $4"
        );
        assert_eq!(args.len(), 4);
    }

    #[test]
    fn out_of_range_integers_are_corrupt() {
        assert!(matches!(
            from_int::<u8>(300, "quality_tier"),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(from_int::<u32>(7, "x").ok(), Some(7));
        assert_eq!(int(u64::MAX), i64::MAX);
    }
}
