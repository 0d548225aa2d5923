//! The local-directory file store: each file under a random UUID key, in a two-level
//! fan-out so no directory grows huge. Writes go to a temporary name and are renamed into
//! place, so a crash never leaves half a file under a real key.

use anyhow::Context;
use async_trait::async_trait;
use domain::files::FileStore;
use std::path::{Path, PathBuf};

/// Files in a local directory.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    /// Uses (and creates) `root`.
    pub fn open(root: impl AsRef<Path>) -> anyhow::Result<Self> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating the file store at {}", root.display()))?;
        Ok(Self { root })
    }

    /// The path of a key; only well-formed UUID keys map to a path, so a key can never
    /// climb out of the root.
    fn path_of(&self, key: &str) -> anyhow::Result<PathBuf> {
        let id = uuid::Uuid::parse_str(key).context("not a file key")?;
        let simple = id.simple().to_string();
        Ok(self
            .root
            .join(&simple[..2])
            .join(&simple[2..4])
            .join(simple))
    }
}

#[async_trait]
impl FileStore for LocalFiles {
    async fn put(&self, bytes: &[u8]) -> anyhow::Result<String> {
        let key = uuid::Uuid::new_v4().to_string();
        let path = self.path_of(&key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes)
            .await
            .with_context(|| format!("writing {}", tmp.display()))?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(key)
    }

    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path)
            .await
            .with_context(|| format!("reading file {key}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn round_trips_and_refuses_paths_as_keys() {
        let dir = std::env::temp_dir().join(format!("paydesk-files-{}", uuid::Uuid::now_v7()));
        let files = LocalFiles::open(&dir).unwrap();
        let key = files.put(b"receipt").await.unwrap();
        assert_eq!(files.get(&key).await.unwrap(), b"receipt");
        assert!(files.get("../../etc/passwd").await.is_err());
        assert!(files.get(&uuid::Uuid::new_v4().to_string()).await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
