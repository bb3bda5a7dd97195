//! What the integration tests share: a temporary project run through the real binary, its
//! files, and the exit code and output of a run. Every test file uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

/// A temporary directory with `specs/`, `out/` and `outside/` (where links point).
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(files: &[(&str, &str)]) -> Project {
        Project::new_in(&std::env::temp_dir(), files)
    }

    pub fn new_in(parent: &Path, files: &[(&str, &str)]) -> Project {
        let project = Project {
            dir: tempfile::tempdir_in(parent).unwrap(),
        };
        fs::create_dir(project.path("outside")).unwrap();
        for (path, text) in files {
            project.write(&format!("specs/{path}"), text);
        }
        project
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    pub fn link(&self, target: &str, rel: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(self.path(target), path).unwrap();
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zkc"));
        command
            .args(args)
            .arg("--color=never")
            .current_dir(self.dir.path());
        command
    }

    pub fn zkc(&self, args: &[&str]) -> Output {
        run_bounded(self.command(args), Duration::from_secs(60))
    }

    /// Every entry under the project: kind, bytes or link target.
    pub fn hash(&self) -> BTreeMap<String, String> {
        hash_tree(self.dir.path())
    }

    /// The regular files under `out/` with their bytes, without zkc's temporary names (bytes,
    /// not hashes: SHA-256 in a debug build was most of the time of the kill test).
    pub fn out_files(&self) -> BTreeMap<String, Vec<u8>> {
        names(&self.path("out"))
            .into_iter()
            .filter(|(rel, is_file)| *is_file && !is_zkc_leftover(rel))
            .map(|(rel, _)| {
                let bytes = fs::read(self.path("out").join(&rel)).unwrap();
                (rel, bytes)
            })
            .collect()
    }

    /// Every file under `out/` with its contents and modification time.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>, SystemTime)> {
        let out = self.path("out");
        if !out.exists() {
            return Vec::new();
        }
        walkdir::WalkDir::new(&out)
            .sort_by_file_name()
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(&out)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (
                    rel,
                    fs::read(e.path()).unwrap(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect()
    }

    /// The binary without the `--color=never` of [`Project::zkc`], with extra environment.
    pub fn zkc_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_zkc"))
            .args(args)
            .envs(env.iter().copied())
            .env_remove("NO_COLOR")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
}

/// Every entry under `root` (links not followed), and whether it is a regular file.
pub fn names(root: &Path) -> Vec<(String, bool)> {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .map(Result::unwrap)
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            (rel.to_string_lossy().into_owned(), e.file_type().is_file())
        })
        .collect()
}

/// Runs a command, killing it if it does not end in time (a FIFO used to hang builds).
pub fn run_bounded(mut command: Command, limit: Duration) -> Output {
    use std::io::Read;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap(); // our own child, not yet reaped
            child.wait().unwrap();
            panic!("zkc did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

pub fn hash_tree(root: &Path) -> BTreeMap<String, String> {
    if root.symlink_metadata().is_err() {
        return BTreeMap::new();
    }
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let t = e.file_type();
            let kind = if t.is_symlink() {
                format!("link {}", fs::read_link(e.path()).unwrap().display())
            } else if t.is_file() {
                let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
                let bytes = fs::read(e.path()).unwrap_or_default();
                format!("file {mode:o} {:x}", Sha256::digest(bytes))
            } else if t.is_fifo() {
                "fifo".to_owned()
            } else {
                "dir".to_owned()
            };
            (rel, kind)
        })
        .collect()
}

/// zkc's own bookkeeping names: the only entries a killed build may leave behind.
pub fn is_zkc_leftover(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap();
    name.starts_with(".zkc-tmp-") || name.starts_with(".zkc-old-") || name == ".zkc.lock"
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub const LIB: &str = r#"defaults { image "docker.io/library/zookeeper:3.9.3"; servers 3 }"#;
pub const STAGING: &str = r#"environment "staging" { import "lib/base.kdl"; ensemble "zookeeper"; argocd repo="https://git.example.com/zk.git" }"#;
pub const DEVELOP: &str =
    r#"environment "develop" { import "lib/base.kdl"; ensemble "zookeeper" }"#;

pub fn example() -> Project {
    Project::new(&[
        ("lib/base.kdl", LIB),
        ("staging.kdl", STAGING),
        ("develop.kdl", DEVELOP),
    ])
}

/// miette wraps messages and help lines at the terminal width and draws `│` down a diagnostic
/// without a snippet; the words are what a test compares.
pub fn unwrapped(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}
