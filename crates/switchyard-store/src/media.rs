//! Media repository (`ai_media`): the files the gateway stored for results that came
//! back as bytes, with their owner, so they are served only to that owner (or an admin).

use switchyard_types::media::MediaFile;

use crate::sql::{from_int, int};
use crate::{Store, StoreError};

macro_rules! columns {
    () => {
        "id, user_id, task_id, media_type, size_bytes, file_name, created_at"
    };
}

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: String,
    user_id: Option<String>,
    task_id: Option<String>,
    media_type: String,
    size_bytes: i64,
    file_name: String,
    created_at: i64,
}

impl TryFrom<MediaRow> for MediaFile {
    type Error = StoreError;

    fn try_from(row: MediaRow) -> Result<Self, StoreError> {
        Ok(MediaFile {
            size_bytes: from_int(row.size_bytes, "ai_media.size_bytes")?,
            id: row.id,
            user_id: row.user_id,
            task_id: row.task_id,
            media_type: row.media_type,
            file_name: row.file_name,
            created_at: row.created_at,
        })
    }
}

/// Repository of stored media files.
#[derive(Debug, Clone, Copy)]
pub struct Media<'a> {
    store: &'a Store,
}

impl<'a> Media<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Records a stored file (its id is chosen by the caller, who named the file after it).
    pub async fn create(&self, file: &MediaFile) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO ai_media (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        );
        sqlx::query(sql)
            .bind(&file.id)
            .bind(&file.user_id)
            .bind(&file.task_id)
            .bind(&file.media_type)
            .bind(int(file.size_bytes))
            .bind(&file.file_name)
            .bind(file.created_at)
            .execute(self.store.pool())
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || format!("a media file with id `{}` already exists", file.id),
                    String::new,
                )
            })?;
        Ok(())
    }

    /// The file with this id.
    pub async fn get(&self, id: &str) -> Result<Option<MediaFile>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM ai_media WHERE id = $1");
        let row: Option<MediaRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(MediaFile::try_from).transpose()
    }

    /// Every file a task produced, oldest first.
    pub async fn for_task(&self, task_id: &str) -> Result<Vec<MediaFile>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM ai_media WHERE task_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<MediaRow> = sqlx::query_as(sql)
            .bind(task_id)
            .fetch_all(self.store.pool())
            .await?;
        rows.into_iter().map(MediaFile::try_from).collect()
    }
}
