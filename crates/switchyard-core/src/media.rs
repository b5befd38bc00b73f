//! The media service: results that providers return as bytes (base64 images, videos
//! handed on as `data:` URLs) are written to the media directory — a local folder by
//! default, a shared volume for several replicas — recorded with their owner in
//! `ai_media`, and served back at `/api/v1/ai/media/{id}` to that owner or an admin.
//! Files are written under a temporary name and renamed, so a reader never sees half a file.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use switchyard_store::{Store, StoreError};
use switchyard_types::media::{GeneratedImage, ImageResponse, MediaFile};
use switchyard_types::{Identity, now_millis};

/// Path prefix of the URL a stored file is served at.
pub const MEDIA_PATH: &str = "/api/v1/ai/media/";

/// Why storing or serving a file failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No such file, or the caller may not see it (the same answer, so existence never leaks).
    #[error("media `{0}` not found")]
    NotFound(String),
    /// The provider's bytes could not be decoded.
    #[error("the provider returned undecodable media: {0}")]
    Undecodable(String),
    #[error("media storage failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores and serves byte results; cheap to clone.
#[derive(Debug, Clone)]
pub struct MediaService {
    store: Store,
    dir: PathBuf,
}

impl MediaService {
    /// Files go to `dir` (created when needed).
    pub fn new(store: Store, dir: impl Into<PathBuf>) -> Self {
        Self {
            store,
            dir: dir.into(),
        }
    }

    /// The directory files are stored in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL (a path on this gateway) a stored file is served at.
    pub fn url(id: &str) -> String {
        format!("{MEDIA_PATH}{id}")
    }

    /// Store `bytes` of `media_type` for `owner`, optionally produced by a task.
    pub async fn save(
        &self,
        owner: Option<&str>,
        task_id: Option<&str>,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<MediaFile, MediaError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let file_name = format!("{id}.{}", extension(media_type));
        let path = self.dir.join(&file_name);
        let partial = self.dir.join(format!("{file_name}.partial"));
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, &path).await?;
        let file = MediaFile {
            id,
            user_id: owner.map(str::to_string),
            task_id: task_id.map(str::to_string),
            media_type: media_type.to_string(),
            size_bytes: bytes.len() as u64,
            file_name,
            created_at: now_millis(),
        };
        if let Err(e) = self.store.media().create(&file).await {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(e.into());
        }
        Ok(file)
    }

    /// Store the bytes of a `data:` URL; `None` (nothing stored) for any other URL.
    pub async fn save_data_url(
        &self,
        owner: Option<&str>,
        task_id: Option<&str>,
        url: &str,
    ) -> Result<Option<MediaFile>, MediaError> {
        let Some((media_type, bytes)) = decode_data_url(url)? else {
            return Ok(None);
        };
        self.save(owner, task_id, &bytes, &media_type)
            .await
            .map(Some)
    }

    /// Replace every image that came back as bytes (base64 or a `data:` URL) with a
    /// stored file's URL; `keep_b64` keeps the base64 too (the client asked for it).
    pub async fn keep_images(
        &self,
        response: &mut ImageResponse,
        owner: Option<&str>,
        task_id: Option<&str>,
        keep_b64: bool,
    ) -> Result<Vec<MediaFile>, MediaError> {
        let mut files = Vec::new();
        for image in &mut response.images {
            if let Some(file) = self.keep_image(image, owner, task_id, keep_b64).await? {
                files.push(file);
            }
        }
        Ok(files)
    }

    async fn keep_image(
        &self,
        image: &mut GeneratedImage,
        owner: Option<&str>,
        task_id: Option<&str>,
        keep_b64: bool,
    ) -> Result<Option<MediaFile>, MediaError> {
        let file = if let Some(b64) = &image.b64_json {
            let bytes = decode_b64(b64)?;
            let media_type = image.media_type.as_deref().unwrap_or("image/png");
            Some(self.save(owner, task_id, &bytes, media_type).await?)
        } else if let Some(url) = &image.url {
            self.save_data_url(owner, task_id, url).await?
        } else {
            None
        };
        if let Some(file) = &file {
            image.url = Some(Self::url(&file.id));
            image.media_type = Some(file.media_type.clone());
            if !keep_b64 {
                image.b64_json = None;
            }
        }
        Ok(file)
    }

    /// The stored file `id` and its path, if `identity` owns it or is an admin.
    pub async fn open(
        &self,
        id: &str,
        identity: &Identity,
    ) -> Result<(MediaFile, PathBuf), MediaError> {
        let not_found = || MediaError::NotFound(id.to_string());
        let file = self.store.media().get(id).await?.ok_or_else(not_found)?;
        let mine = file.user_id.as_deref() == Some(identity.user_id.as_str());
        if !(mine || identity.is_admin()) {
            return Err(not_found());
        }
        let path = self.dir.join(&file.file_name);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            tracing::warn!(media_id = id, path = %path.display(), "stored media file is missing");
            return Err(not_found());
        }
        Ok((file, path))
    }
}

/// The media type and bytes of a `data:[type][;base64],payload` URL; `None` for other URLs.
pub fn decode_data_url(url: &str) -> Result<Option<(String, Vec<u8>)>, MediaError> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Ok(None);
    };
    let (meta, payload) = rest
        .split_once(',')
        .ok_or_else(|| MediaError::Undecodable("a data: URL without a comma".into()))?;
    let mut parts = meta.split(';');
    let media_type = parts
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("application/octet-stream")
        .to_string();
    let bytes = if parts.any(|p| p == "base64") {
        decode_b64(payload)?
    } else {
        payload.as_bytes().to_vec()
    };
    Ok(Some((media_type, bytes)))
}

fn decode_b64(text: &str) -> Result<Vec<u8>, MediaError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes()))
        .map_err(|e| MediaError::Undecodable(e.to_string()))
}

/// File extension for a media type.
fn extension(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode() {
        let (t, b) = decode_data_url("data:image/png;base64,aGVsbG8=")
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.as_str(), b.as_slice()),
            ("image/png", b"hello".as_slice())
        );
        let (t, b) = decode_data_url("data:,plain").unwrap().unwrap();
        assert_eq!(
            (t.as_str(), b.as_slice()),
            ("application/octet-stream", b"plain".as_slice())
        );
        assert!(
            decode_data_url("https://cdn.example/x.png")
                .unwrap()
                .is_none()
        );
        assert!(decode_data_url("data:image/png;base64").is_err());
        assert!(decode_data_url("data:image/png;base64,!!!").is_err());
        assert_eq!(extension("video/mp4"), "mp4");
        assert_eq!(extension("application/x-unknown"), "bin");
    }
}
