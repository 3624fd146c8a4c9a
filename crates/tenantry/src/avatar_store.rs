//! Where profile pictures are kept, behind one interface (`object_store`): a folder by default,
//! S3-compatible storage by URL. The application sees only [`AvatarFiles`].

use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;
use tenantry_app::avatar_image::{Processed, SIZES};
use tenantry_app::avatars::AvatarFiles;

/// Where pictures are kept.
#[derive(Clone, Debug)]
pub struct AvatarStore {
    store: Arc<dyn ObjectStore>,
}

impl AvatarStore {
    /// A folder on this machine (created if missing).
    pub fn folder(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self { store: Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?) })
    }

    /// S3-compatible storage: `s3://bucket[/prefix]`; credentials, region and endpoint come from
    /// the usual `AWS_*` environment variables.
    pub fn s3(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url)?;
        let bucket =
            parsed.host_str().ok_or_else(|| anyhow::anyhow!("avatar store URL needs a bucket: s3://bucket/prefix"))?;
        let s3 = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).build()?;
        let prefix = StorePath::from(parsed.path().trim_matches('/'));
        let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
        };
        Ok(Self { store })
    }

    fn key(user_id: &str, version: i64, size: u32) -> StorePath {
        StorePath::from(format!("{user_id}/{version}-{size}.png"))
    }
}

#[async_trait::async_trait]
impl AvatarFiles for AvatarStore {
    async fn put(&self, user_id: &str, version: i64, p: &Processed) -> anyhow::Result<()> {
        for (size, png) in &p.images {
            self.store.put(&Self::key(user_id, version, *size), PutPayload::from(png.clone())).await?;
        }
        Ok(())
    }

    async fn get(&self, user_id: &str, version: i64, size: u32) -> anyhow::Result<Option<Vec<u8>>> {
        match self.store.get(&Self::key(user_id, version, size)).await {
            Ok(found) => Ok(Some(found.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, user_id: &str, version: i64) -> anyhow::Result<()> {
        for size in SIZES {
            match self.store.delete(&Self::key(user_id, version, size)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
