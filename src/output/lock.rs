//! One build at a time per output directory: an exclusive `flock` on `out/.zkc.lock`. The file
//! exists only while a build runs (or after a killed one, until the next build), so it is never
//! part of the committed tree.

use std::fs::{self, File, TryLockError};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{OutputError, check_out_dir, io_err};

pub(crate) const LOCK_NAME: &str = ".zkc.lock";

/// Held for the whole of a build: from reading `out/` to the last rename.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
    /// `out/` did not exist: removed again when the build leaves it empty.
    created_out: Option<PathBuf>,
}

impl Lock {
    /// Creates `out/` when needed and waits at most `wait` for another build to finish.
    pub fn acquire(out: &Path, wait: Duration) -> Result<Lock, OutputError> {
        let created_out = if check_out_dir(out)? {
            None
        } else {
            fs::create_dir_all(out).map_err(io_err(out))?;
            Some(out.to_owned())
        };
        let path = out.join(LOCK_NAME);
        let started = Instant::now();
        loop {
            let file = open_lock_file(&path).map_err(io_err(&path))?;
            match file.try_lock() {
                // The holder before us removes the file as it finishes: a lock on that removed
                // file excludes no one, so check that the name still leads to our file.
                Ok(()) if same_file(&file, &path) => {
                    return Ok(Lock {
                        file,
                        path,
                        created_out,
                    });
                }
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(OutputError::Locked {
                        path,
                        waited_s: wait.as_secs(),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io_err(&path)(e)),
            }
        }
    }
}

/// Opens the lock file, never through a link and never anything but a regular file.
fn open_lock_file(path: &Path) -> io::Result<File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(io::Error::other("not a regular file"))
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), path.symlink_metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so a waiting build sees a new file and locks that one.
        if same_file(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
        if let Some(out) = &self.created_out {
            let _ = fs::remove_dir(out); // only when empty: a failed first build leaves nothing
        }
    }
}
