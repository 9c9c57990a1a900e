//! Where blob bytes live: a local folder (the default) or an object store (S3, Google Cloud
//! Storage, Azure Blob Storage) through the `object_store` crate. Either way bytes stream
//! in and out, a range is read without the rest, and an object appears whole or not at all:
//!
//! - local: the body streams to `blobs/tmp/`, is synced, renamed into place, and the folder
//!   is synced, so a blob the database names survives an OS crash;
//! - object store: a body up to [`PART`] is one `PUT`; a longer one is a multipart upload
//!   of [`PART`]-sized parts, two in flight, aborted if the body fails.
//!
//! Object names are random; which blob an object belongs to is only in the database.

use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Size of a multipart upload's parts (S3 needs at least 5 MiB but for the last).
pub const PART: usize = 8 * 1024 * 1024;

/// A stream of blob bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Why a blob operation failed.
#[derive(Debug)]
pub enum BlobError {
    /// The body passed the cap.
    TooLarge,
    /// The body ended with an error (the client went away).
    Interrupted,
    /// No space left.
    Full,
    /// The object does not exist.
    NotFound,
    /// Anything else (logged, never sent).
    Other(String),
}

impl std::fmt::Display for BlobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge => f.write_str("over the size cap"),
            Self::Interrupted => f.write_str("the body did not complete"),
            Self::Full => f.write_str("no space left"),
            Self::NotFound => f.write_str("no such object"),
            Self::Other(e) => f.write_str(e),
        }
    }
}

impl From<std::io::Error> for BlobError {
    fn from(e: std::io::Error) -> Self {
        if crate::error::is_disk_full(&e) {
            Self::Full
        } else if e.kind() == std::io::ErrorKind::NotFound {
            Self::NotFound
        } else {
            Self::Other(e.to_string())
        }
    }
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => Self::NotFound,
            // The store's message names the bucket and key (a random name), no content.
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<BlobError> for crate::error::ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge => Self::too_large(),
            BlobError::Interrupted => {
                Self::bad_request("body_interrupted", "the upload did not complete")
            }
            BlobError::Full => Self::storage_full(),
            BlobError::NotFound => Self::not_found(),
            BlobError::Other(e) => Self::unavailable(&e),
        }
    }
}

/// The blob store.
#[derive(Clone)]
pub enum BlobStore {
    /// A folder: finished blobs in it, partial uploads in `tmp/`.
    Local(std::path::PathBuf),
    /// An object store and the prefix under which blobs go.
    Object {
        /// The store.
        store: Arc<dyn ObjectStore>,
        /// The prefix (the URL's path).
        prefix: ObjectPath,
    },
}

impl BlobStore {
    /// From `--blobs`: `None` or a path for a local folder (`default` if `None`), else an
    /// `s3://`, `gs://` or `az://` URL, configured by the usual environment variables
    /// (`AWS_*`, `GOOGLE_*`, `AZURE_*`) and then by `options` (`aws_endpoint`, …).
    ///
    /// # Errors
    /// A message for an unknown scheme or a store that cannot be built.
    pub fn open(
        url: Option<&str>,
        default: &std::path::Path,
        options: &[(String, String)],
    ) -> Result<Self, String> {
        let Some(url) = url else {
            return Self::local(default.to_path_buf());
        };
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let prefix = || {
            let path = rest.split_once('/').map_or("", |(_, p)| p);
            ObjectPath::parse(path).map_err(|e| e.to_string())
        };
        // reqwest's TLS asks rustls for the process-wide provider; an Err means one is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store: Arc<dyn ObjectStore> = match scheme {
            "" => return Self::local(std::path::PathBuf::from(url)),
            "file" => return Self::local(std::path::PathBuf::from(rest)),
            "s3" | "s3a" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_url(url);
                for (k, v) in options {
                    b = b.with_config(
                        k.parse().map_err(|e: object_store::Error| e.to_string())?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| e.to_string())?)
            }
            "gs" => {
                let mut b = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_url(url);
                for (k, v) in options {
                    b = b.with_config(
                        k.parse().map_err(|e: object_store::Error| e.to_string())?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| e.to_string())?)
            }
            "az" | "azure" | "abfs" | "abfss" => {
                let mut b = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url);
                for (k, v) in options {
                    b = b.with_config(
                        k.parse().map_err(|e: object_store::Error| e.to_string())?,
                        v,
                    );
                }
                Arc::new(b.build().map_err(|e| e.to_string())?)
            }
            other => {
                return Err(format!(
                    "--blobs: unknown scheme {other}:// (a folder, s3://, gs:// or az://)"
                ));
            }
        };
        Ok(Self::Object {
            store,
            prefix: prefix()?,
        })
    }

    fn local(dir: std::path::PathBuf) -> Result<Self, String> {
        std::fs::create_dir_all(dir.join("tmp")).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Self::Local(dir))
    }

    /// The local folder, if blobs are local.
    pub fn local_dir(&self) -> Option<&std::path::Path> {
        match self {
            Self::Local(dir) => Some(dir),
            Self::Object { .. } => None,
        }
    }

    fn object_path(prefix: &ObjectPath, name: &str) -> ObjectPath {
        prefix.clone().join(name)
    }

    /// Streams `body` into a new object `name`, refusing it past `cap` bytes. Returns its
    /// size. On any error nothing is left under `name`.
    ///
    /// # Errors
    /// [`BlobError`].
    pub async fn put<S, E>(&self, name: &str, mut body: S, cap: u64) -> Result<u64, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    {
        match self {
            Self::Local(dir) => {
                let tmp = dir.join("tmp").join(format!("{name}.part"));
                let result = put_local(dir, &tmp, name, &mut body, cap).await;
                if result.is_err() {
                    let _ = tokio::fs::remove_file(&tmp).await;
                }
                result
            }
            Self::Object { store, prefix } => {
                let path = Self::object_path(prefix, name);
                put_object(store.as_ref(), &path, &mut body, cap).await
            }
        }
    }

    /// `count` bytes from `start` of object `name`, streamed.
    ///
    /// # Errors
    /// [`BlobError::NotFound`], or the store's error.
    pub async fn get(&self, name: &str, start: u64, count: u64) -> Result<ByteStream, BlobError> {
        match self {
            Self::Local(dir) => {
                let mut file = tokio::fs::File::open(dir.join(name)).await?;
                file.seek(std::io::SeekFrom::Start(start)).await?;
                Ok(Box::pin(tokio_util::io::ReaderStream::new(
                    file.take(count),
                )))
            }
            Self::Object { store, prefix } => {
                let options = GetOptions {
                    range: (count > 0).then(|| GetRange::Bounded(start..start + count)),
                    ..GetOptions::default()
                };
                let result = store
                    .get_opts(&Self::object_path(prefix, name), options)
                    .await?;
                Ok(Box::pin(
                    result
                        .into_stream()
                        .map_err(|e| std::io::Error::other(e.to_string())),
                ))
            }
        }
    }

    /// Deletes object `name`; one that is gone already counts as deleted.
    ///
    /// # Errors
    /// The store's error: the object may still be there.
    pub async fn delete(&self, name: &str) -> Result<(), BlobError> {
        let result = match self {
            Self::Local(dir) => tokio::fs::remove_file(dir.join(name))
                .await
                .map_err(BlobError::from),
            Self::Object { store, prefix } => store
                .delete(&Self::object_path(prefix, name))
                .await
                .map_err(BlobError::from),
        };
        match result {
            Ok(()) | Err(BlobError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether object `name` exists.
    ///
    /// # Errors
    /// The store's error.
    pub async fn exists(&self, name: &str) -> Result<bool, BlobError> {
        let result = match self {
            Self::Local(dir) => tokio::fs::metadata(dir.join(name))
                .await
                .map(|_| ())
                .map_err(BlobError::from),
            Self::Object { store, prefix } => store
                .head(&Self::object_path(prefix, name))
                .await
                .map(|_| ())
                .map_err(BlobError::from),
        };
        match result {
            Ok(()) => Ok(true),
            Err(BlobError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

async fn put_local<S, E>(
    dir: &std::path::Path,
    tmp: &std::path::Path,
    name: &str,
    body: &mut S,
    cap: u64,
) -> Result<u64, BlobError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
{
    let mut file = tokio::fs::File::create(tmp).await?;
    let mut size: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| BlobError::Interrupted)?;
        size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if size > cap {
            return Err(BlobError::TooLarge);
        }
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(tmp, dir.join(name)).await?;
    // The rename is durable only once the folder is synced.
    tokio::fs::File::open(dir).await?.sync_all().await?;
    Ok(size)
}

async fn put_object<S, E>(
    store: &dyn ObjectStore,
    path: &ObjectPath,
    body: &mut S,
    cap: u64,
) -> Result<u64, BlobError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
{
    let mut size: u64 = 0;
    let mut first = BytesMut::new();
    let mut upload: Option<WriteMultipart> = None;
    loop {
        let chunk = match body.next().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(_)) => {
                abort(upload).await;
                return Err(BlobError::Interrupted);
            }
            None => break,
        };
        size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if size > cap {
            abort(upload).await;
            return Err(BlobError::TooLarge);
        }
        match upload.as_mut() {
            Some(w) => {
                if let Err(e) = w.wait_for_capacity(2).await {
                    abort(upload).await;
                    return Err(e.into());
                }
                w.write(&chunk);
            }
            None => {
                first.extend_from_slice(&chunk);
                if first.len() >= PART {
                    let mut w =
                        WriteMultipart::new_with_chunk_size(store.put_multipart(path).await?, PART);
                    w.write(&first);
                    first = BytesMut::new();
                    upload = Some(w);
                }
            }
        }
    }
    match upload {
        Some(w) => {
            w.finish().await?;
        }
        None => {
            store.put(path, PutPayload::from(first.freeze())).await?;
        }
    }
    Ok(size)
}

async fn abort(upload: Option<WriteMultipart>) {
    if let Some(w) = upload
        && let Err(e) = w.abort().await
    {
        tracing::warn!(error = %e, "could not abort a multipart upload");
    }
}
