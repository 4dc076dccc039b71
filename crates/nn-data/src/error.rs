//! One error type per layer. Every message says what was wrong, where, and what to do.

use std::path::{Path, PathBuf};

/// Errors of the data readers and writers ([`crate::formats`]).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{path}: cannot read or write ({source})")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: file is truncated: {what} needs {expected} bytes but only {actual} are there; download it again"
    )]
    Truncated {
        path: PathBuf,
        what: String,
        expected: u64,
        actual: u64,
    },
    #[error("{path}: wrong magic number {found}, expected {expected}; is this the right file?")]
    BadMagic {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error(
        "{path}: size {len} bytes is not a whole number of {record}-byte records; the file is damaged or of another format"
    )]
    RecordSize {
        path: PathBuf,
        len: u64,
        record: u64,
    },
    #[error(
        "{path}: {images} images but {labels} labels; the image and label files do not belong together"
    )]
    CountMismatch {
        path: PathBuf,
        images: usize,
        labels: usize,
    },
    #[error(
        "{path}: label {label} of item {index} is out of range (the data set has {classes} classes)"
    )]
    LabelOutOfRange {
        path: PathBuf,
        index: usize,
        label: u64,
        classes: usize,
    },
    #[error("{path}: unreadable image ({reason})")]
    UnreadableImage { path: PathBuf, reason: String },
    #[error(
        "{path}: image is {found} but the first image was {first}; pass a resize size to load mixed sizes"
    )]
    MixedSizes {
        path: PathBuf,
        first: String,
        found: String,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

impl FormatError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Any other malformed content, described in words.
    pub fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// Errors of fetching data sets ([`crate::download`]).
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: transfer failed ({reason})")]
    Transfer { url: String, reason: String },
    /// The server answered, but not with the file (another size, an HTML page): retrying
    /// the same address will not help.
    #[error("{url}: not the expected file: {reason}")]
    WrongContent { url: String, reason: String },
    #[error(
        "{file}: checksum mismatch ({algo} expected {expected}, got {actual}); the bad file was deleted, run the download again"
    )]
    Checksum {
        file: PathBuf,
        algo: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{name}: every source failed; last error: {last}")]
    AllSourcesFailed { name: String, last: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot unpack archive ({reason})")]
    Unpack { path: PathBuf, reason: String },
}

/// Errors of experiment configuration: config files and flags.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("config key `{key}`: {message}")]
    Key { key: String, message: String },
    #[error("unknown experiment `{name}`; known: {known}")]
    UnknownExperiment { name: String, known: String },
}

/// The crate-wide error: what any public function of `nn-core` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "backend `{kind}` was not compiled into this binary; rebuild with `--features {feature}` (or `cargo xtask ... --backend {kind}`, which does it)"
    )]
    BackendMissing { kind: String, feature: String },
    #[error(
        "data set `{name}` is not in {dir}: {missing}. Get it with `cargo xtask download {name}` (or point --data-dir / NGVM_DATA_DIR at a folder that has it), or pass --synthetic to run on synthetic data"
    )]
    DataMissing {
        name: String,
        dir: PathBuf,
        missing: String,
    },
    #[error("unknown data set `{name}`; known: {known}")]
    UnknownDataset { name: String, known: String },
    #[error("{path}: {source}{hint}", hint = io_hint(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "training diverged at epoch {epoch}, step {step}: the loss is {value} (NaN, infinite or exploded). Lower the learning rate (--lr); the last good checkpoint is kept in {checkpoint_dir}"
    )]
    Diverged {
        epoch: usize,
        step: usize,
        value: f64,
        checkpoint_dir: PathBuf,
    },
    #[error("checkpoint {path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },
    #[error(
        "interrupted (Ctrl-C) {at}; the training state is saved: resume with --resume {run_dir}"
    )]
    Interrupted { at: String, run_dir: PathBuf },
    #[error(
        "{what} is in use by {holder}, which is writing there: wait for it to finish or stop it, then run this again (a process that was killed lets go by itself)"
    )]
    Locked { what: PathBuf, holder: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What to do about the I/O errors a student can fix: a full disk, a read-only or
/// forbidden folder. Files written before stay as they were (writes are atomic).
fn io_hint(source: &std::io::Error) -> &'static str {
    match source.raw_os_error() {
        Some(28) => {
            " (the disk is full: free some space or point --out at another disk, then --resume)"
        }
        Some(30) => " (read-only file system: point --out at a writable folder)",
        Some(13) | Some(1) => " (permission denied: point --out at a folder you can write to)",
        _ => "",
    }
}

/// Result with the crate-wide [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
