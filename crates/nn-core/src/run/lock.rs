//! One writer per folder: an exclusive OS file lock (`flock` on Unix, `LockFileEx` on
//! Windows, through `std::fs::File::try_lock`) held for as long as a run or a curriculum
//! writes there. The OS drops it when the process ends, however it ends (SIGKILL too), so a
//! lock is never stale; a second process is refused at once, told the holder's process id.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct FolderLock {
    /// Kept open: closing the file would release the lock.
    _file: File,
    path: PathBuf,
}

impl FolderLock {
    /// Takes the lock file `path` (created if absent) for this process and writes its
    /// process id into it, or fails at once with [`Error::Locked`] naming `what` (the
    /// run directory, the curriculum's folder) when another process holds it.
    pub fn acquire(path: &Path, what: &Path) -> Result<FolderLock> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Error::Locked {
                    what: what.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another process".to_string()
                    } else {
                        format!("process {holder}")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(path, e)),
        }
        let pid = std::process::id().to_string();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Error::io(path, e))?;
        Ok(FolderLock {
            _file: file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.lock");
        let first = FolderLock::acquire(&path, dir.path()).unwrap();
        // Another open file description conflicts, as another process's would.
        let err = FolderLock::acquire(&path, dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("process {}", std::process::id()))
                && text.contains(&dir.path().display().to_string()),
            "{text}"
        );
        drop(first);
        FolderLock::acquire(&path, dir.path()).expect("free again once dropped");
    }
}
