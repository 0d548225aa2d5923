//! Where uploaded files live (ticket attachments, complaint evidence). A small trait so an
//! S3-compatible store can stand beside the local directory.

use async_trait::async_trait;

/// Stores bytes under keys it chooses itself: names people upload are never paths.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Stores the bytes and returns their new key.
    async fn put(&self, bytes: &[u8]) -> anyhow::Result<String>;
    /// The bytes under a key; an unknown or malformed key is an error.
    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>>;
}
