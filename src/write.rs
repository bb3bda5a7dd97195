//! Writing spec files (`zkc init`, `zkc fmt`): a new file is staged under a temporary name of
//! its own and renamed into place, so a full disk leaves the old file whole, and a link at the
//! target is never written through.

use std::fs;
use std::io;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("{} is a symbolic link; zkc does not write through links", .0.display())]
    Symlink(std::path::PathBuf),
    #[error("{} exists", .0.display())]
    Exists(std::path::PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Replaces the regular file at `path` with `bytes`, keeping its permissions.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let meta = path.symlink_metadata().map_err(io_err(path))?;
    if meta.file_type().is_symlink() {
        return Err(WriteError::Symlink(path.to_owned()));
    }
    let tmp = crate::output::write_temporary(path, bytes).map_err(io_err(path))?;
    fs::set_permissions(&tmp, meta.permissions()).map_err(io_err(path))?;
    tmp.persist(path).map_err(|e| io_err(path)(e.error))
}

/// Creates `path` with `bytes`; fails when anything, even a dangling link, has that name.
pub(crate) fn create_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let tmp = crate::output::write_temporary(path, bytes).map_err(io_err(path))?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            WriteError::Exists(path.to_owned())
        } else {
            io_err(path)(e.error)
        }
    })
}

/// Creates `base` (as the user named it) and `base/rel`, refusing a link at any component of
/// `rel`: `zkc init` writes into the directory it was given, not where a link inside points.
pub(crate) fn create_dirs(base: &Path, rel: &Path) -> Result<(), WriteError> {
    fs::create_dir_all(base).map_err(io_err(base))?;
    let mut path = base.to_owned();
    for component in rel.components() {
        path.push(component);
        match path.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => return Err(WriteError::Symlink(path)),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&path).map_err(io_err(&path))?
            }
            Err(e) => return Err(io_err(&path)(e)),
        }
    }
    Ok(())
}
