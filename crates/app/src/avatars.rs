//! Uploading, serving and removing the profile picture.

use crate::audit::{self, Change};
use crate::avatar_image::{self, AvatarError, Processed};
use crate::{Actor, App, Error, Principal, Result};
use serde_json::json;
use tenantry_domain::UserId;
use tenantry_storage::users;

/// Where pictures are kept: a folder or S3-compatible storage, chosen by the binary.
#[async_trait::async_trait]
pub trait AvatarFiles: Send + Sync {
    /// Stores every size of a processed picture as `version`.
    async fn put(&self, user_id: &str, version: i64, picture: &Processed) -> anyhow::Result<()>;
    /// One stored size, if present.
    async fn get(&self, user_id: &str, version: i64, size: u32) -> anyhow::Result<Option<Vec<u8>>>;
    /// Removes every size of `version`; missing files are fine.
    async fn delete(&self, user_id: &str, version: i64) -> anyhow::Result<()>;
}

/// Where a user's picture of `size` is served; `None` when they have none.
pub fn url(user_id: &str, version: Option<i64>, size: u32) -> Option<String> {
    version.map(|v| format!("/avatars/{user_id}/{v}/{size}.png"))
}

/// Pictures decoded at once, whatever the number of uploads.
pub const DECODES: usize = 2;

/// Replaces `me`'s picture with `bytes` (checked and processed off the async runtime).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn upload(state: &App, me: &Principal, actor: &Actor, bytes: Vec<u8>) -> Result<String> {
    let processed: Processed = decoding(move || avatar_image::process(&bytes))
        .await?
        .map_err(|e: AvatarError| Error::invalid("file", e.to_string()))?;
    let now = state.now();
    let version = now;
    state.avatars.put(me.user.id.as_str(), version, &processed).await.map_err(Error::Unexpected)?;
    let mut tx = state.db.begin().await?;
    let old = users::set_avatar_version(&mut tx, &me.user.id, Some(version)).await?;
    audit::record(
        &mut tx,
        actor,
        Change::new("user.avatar_changed", "user", me.user.id.as_str()).after(json!({"version": version})),
        now,
    )
    .await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    if let Some(old) = old.filter(|o| *o != version) {
        remove_files(state, me.user.id.as_str(), old).await;
    }
    url(me.user.id.as_str(), Some(version), 256).ok_or_else(|| Error::Unexpected(anyhow::anyhow!("no avatar url")))
}

/// Runs picture work `f`: decoding is CPU and memory work (up to 160 MiB for a 40 MP picture), so
/// it runs off the async runtime, in the caller's span, and at most [`DECODES`] at once installation
/// wide; others wait their turn.
async fn decoding<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODES);
    let _permit =
        DECODING.acquire().await.map_err(|e| Error::Unexpected(anyhow::anyhow!("decode queue closed: {e}")))?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("picture processing stopped: {e}")))
}

/// Removes `me`'s picture: initials are shown again.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn remove(state: &App, me: &Principal, actor: &Actor) -> Result<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let old = users::set_avatar_version(&mut tx, &me.user.id, None).await?;
    if old.is_some() {
        audit::record(&mut tx, actor, Change::new("user.avatar_removed", "user", me.user.id.as_str()), now).await?;
    }
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    if let Some(old) = old {
        remove_files(state, me.user.id.as_str(), old).await;
    }
    Ok(())
}

/// Deletes stored files, logging (not failing) when the store refuses: the row no longer points at them.
#[tracing::instrument(skip_all)]
pub async fn remove_files(state: &App, user_id: &str, version: i64) {
    if let Err(e) = state.avatars.delete(user_id, version).await {
        tracing::warn!(error = %e, user_id, "could not delete an old profile picture");
    }
}

/// The PNG of `size` of a user's picture `version`; 404 for anything else.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn file(state: &App, user_id: &UserId, version: &str, size: &str) -> Result<Vec<u8>> {
    let version: i64 = version.parse().map_err(|_| Error::NotFound)?;
    let size: u32 = size
        .strip_suffix(".png")
        .and_then(|s| s.parse().ok())
        .filter(|s| avatar_image::SIZES.contains(s))
        .ok_or(Error::NotFound)?;
    state.avatars.get(user_id.as_str(), version, size).await.map_err(Error::Unexpected)?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// However many uploads arrive at once, no more than DECODES pictures are decoded together.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn decodes_are_bounded() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4 * DECODES)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(decoding(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), DECODES, "decodes ran {} at once", most.load(Ordering::SeqCst));
    }
}
