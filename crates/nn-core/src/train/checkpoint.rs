//! Crash-safe checkpoints: modules, optimiser states, the epoch and any extra JSON in one
//! file, written atomically (temp file, fsync, rename) and checked (length and sha256) when
//! read, so a torn or corrupted file is detected and the previous good one used.
//!
//! burn-train's file checkpointer writes straight to the final name (a crash mid-write
//! leaves a corrupt "latest" checkpoint) and keeps model and optimiser in separate files
//! without a checksum, so the project writes its own container around burn's records.

use crate::error::{Error, Result};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"NGVMCKP1";

pub use nn_data::fs::write_atomic;

#[derive(Serialize, Deserialize)]
struct Header {
    epoch: usize,
    parts: Vec<(String, usize)>,
    extra: serde_json::Value,
    sha256: String,
}

/// The state of a training run at the end of an epoch.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    /// Epochs completed.
    pub epoch: usize,
    parts: Vec<(String, Vec<u8>)>,
    /// Anything else to restore (EMA decay state, metric history, ...).
    pub extra: serde_json::Value,
}

impl Checkpoint {
    pub fn new(epoch: usize) -> Self {
        Self {
            epoch,
            parts: Vec::new(),
            extra: serde_json::Value::Null,
        }
    }

    /// Stores a module's parameters under `name`.
    pub fn put_module<M: Module>(&mut self, name: &str, module: &M) -> Result<()> {
        let bytes = module
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::Other(format!("cannot serialise module `{name}`: {e:?}")))?;
        self.put_bytes(name, bytes.to_vec());
        Ok(())
    }

    /// Stores an optimiser's state (Adam moments, step counts) under `name`.
    pub fn put_optimizer(&mut self, name: &str, optim: &ModuleOptimizer) -> Result<()> {
        let bytes = optim
            .into_bytes()
            .map_err(|e| Error::Other(format!("cannot serialise optimiser `{name}`: {e:?}")))?;
        self.put_bytes(name, bytes.to_vec());
        Ok(())
    }

    pub fn put_bytes(&mut self, name: &str, bytes: Vec<u8>) {
        self.parts.retain(|(n, _)| n != name);
        self.parts.push((name.to_string(), bytes));
    }

    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Loads the parameters stored under `name` into `module`.
    pub fn load_module<M: Module>(&self, name: &str, module: M) -> Result<M> {
        let bytes = self.require(name)?;
        let record = burn::store::ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| {
            Error::Other(format!(
                "checkpoint part `{name}` is not a module record: {e:?}"
            ))
        })?;
        Ok(module.load_record(record))
    }

    /// Restores the optimiser state stored under `name`.
    pub fn load_optimizer(&self, name: &str, optim: ModuleOptimizer) -> Result<ModuleOptimizer> {
        let bytes = self.require(name)?;
        optim
            .from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| {
                Error::Other(format!(
                    "checkpoint part `{name}` is not an optimiser state: {e:?}"
                ))
            })
    }

    fn require(&self, name: &str) -> Result<&[u8]> {
        self.bytes(name)
            .ok_or_else(|| Error::Other(format!("checkpoint has no part `{name}`")))
    }

    /// Serialises to the checked container format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        for (_, bytes) in &self.parts {
            payload.extend_from_slice(bytes);
        }
        let header = Header {
            epoch: self.epoch,
            parts: self
                .parts
                .iter()
                .map(|(n, b)| (n.clone(), b.len()))
                .collect(),
            extra: self.extra.clone(),
            sha256: hex(&sha2::Sha256::digest(&payload)),
        };
        let header = serde_json::to_vec(&header).expect("header serialises");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&payload);
        out
    }

    /// Parses and checks a container; any damage is an error saying what is wrong.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("not a checkpoint (bad magic or too short)".into()));
        }
        let header_len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")) as usize;
        let body = &bytes[16..];
        if header_len > body.len() {
            return Err(bad(format!(
                "truncated: header of {header_len} bytes, {} present",
                body.len()
            )));
        }
        let header: Header = serde_json::from_slice(&body[..header_len])
            .map_err(|e| bad(format!("damaged header ({e})")))?;
        let payload = &body[header_len..];
        let expected = header
            .parts
            .iter()
            .try_fold(0usize, |sum, (_, l)| sum.checked_add(*l))
            .ok_or_else(|| bad("damaged header (part lengths overflow)".into()))?;
        if payload.len() != expected {
            return Err(bad(format!(
                "truncated: {} payload bytes, {expected} expected",
                payload.len()
            )));
        }
        if hex(&sha2::Sha256::digest(payload)) != header.sha256 {
            return Err(bad("checksum mismatch: the file is corrupted".into()));
        }
        let mut parts = Vec::new();
        let mut offset = 0;
        for (name, len) in header.parts {
            parts.push((name, payload[offset..offset + len].to_vec()));
            offset += len;
        }
        Ok(Self {
            epoch: header.epoch,
            parts,
            extra: header.extra,
        })
    }

    /// Writes `epoch-NNNN.ckpt` into `dir` atomically and keeps the newest `keep` files.
    pub fn save(&self, dir: &Path, keep: usize) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(format!("epoch-{:04}.ckpt", self.epoch));
        write_atomic(&path, &self.to_bytes())?;
        let files = list(dir);
        if files.len() > keep.max(1) {
            for (_, old) in &files[..files.len() - keep.max(1)] {
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(path)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, path)
    }

    /// The newest checkpoint in `dir` that reads back intact. Damaged newer ones are
    /// skipped with a warning on stderr; `None` when there is no good one.
    pub fn latest(dir: &Path) -> Option<(Self, PathBuf)> {
        for (_, path) in list(dir).into_iter().rev() {
            match Self::load(&path) {
                Ok(checkpoint) => return Some((checkpoint, path)),
                Err(e) => eprintln!("warning: {e}; using the previous checkpoint"),
            }
        }
        None
    }
}

/// `(epoch, path)` of the checkpoint files in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<(usize, PathBuf)> {
    let mut files: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let epoch = name
                .strip_prefix("epoch-")?
                .strip_suffix(".ckpt")?
                .parse()
                .ok()?;
            Some((epoch, entry.path()))
        })
        .collect();
    files.sort();
    files
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
