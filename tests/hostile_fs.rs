//! The output contract against a hostile or failing file system, on the real binary: zkc never
//! writes outside `out/`, never through a link, never touches a file it did not generate; a
//! failed build leaves `out/` as it was, and two builds at once cannot mix. Each attack checks
//! the exit code, the message, and a hash of every entry of the whole temporary directory
//! (file bytes, link targets, kinds), which includes the link targets outside `out/`.
//!
//! Some tests need root (mounting a small tmpfs for a full disk, a read-only bind mount); they
//! print why and return when mounting is impossible.

#![cfg(unix)]

mod support;

use support::*;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn built_example() -> Project {
    let p = example();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    p
}

/// A valid change to every file of `staging` (and its Argo CD Application).
fn change_staging(p: &Project) {
    p.write(
        "specs/staging.kdl",
        &STAGING.replace(
            "ensemble \"zookeeper\"",
            "labels team=\"b\"; ensemble \"zookeeper\"",
        ),
    );
}

// ---- 1. temporary files ----------------------------------------------------------------------

#[test]
fn a_link_at_the_old_temporary_name_is_never_followed() {
    let p = built_example();
    p.write("outside/victim", "precious\n");
    p.link(
        "outside/victim",
        "out/staging/.statefulset-zookeeper.yaml.zkc-tmp",
    );
    p.link(
        "outside/created",
        "out/staging/.service-zookeeper.yaml.zkc-tmp",
    );
    change_staging(&p);
    let outside = hash_tree(&p.path("outside"));
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        hash_tree(&p.path("outside")),
        outside,
        "nothing written outside out/"
    );
    let generated = p.path("out/staging/statefulset-zookeeper.yaml");
    assert!(
        generated.symlink_metadata().unwrap().is_file(),
        "a regular file, not a link"
    );
    assert!(fs::read_to_string(generated).unwrap().contains("team: b"));
    let check = p.zkc(&["check", "specs"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
}

#[test]
fn a_fifo_at_a_temporary_name_does_not_hang_the_build() {
    let p = built_example();
    for name in [
        "out/staging/.statefulset-zookeeper.yaml.zkc-tmp",
        "out/staging/.zkc-tmp-AAAAAAAAAAAA",
    ] {
        let status = Command::new("mkfifo").arg(p.path(name)).status().unwrap();
        assert!(status.success());
    }
    change_staging(&p);
    let out = p.zkc(&["build", "specs"]); // bounded: a hang fails the test
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        p.path("out/staging/.zkc-tmp-AAAAAAAAAAAA")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_fifo(),
        "only regular files are swept"
    );
}

#[test]
fn stale_temporaries_are_swept_and_nothing_else() {
    let p = built_example();
    p.write("outside/victim", "precious\n");
    p.write("out/staging/.zkc-tmp-AAAAAAAAAAAA", "half a file");
    p.write("out/staging/.zkc-old-BBBBBBBBBBBB", "an old file");
    p.write("out/.zkc-tmp-CCCCCCCCCCCC", "a journal being written");
    p.write(
        "out/gone/.zkc-tmp-DDDDDDDDDDDD",
        "a killed build's new directory",
    );
    p.link("outside/victim", "out/staging/.zkc-tmp-EEEEEEEEEEEE");
    p.write("out/staging/.zkc-tmp-mine", "a person's file\n");
    p.write(
        "out/backup/deep/.zkc-tmp-FFFFFFFFFFFF",
        "not where zkc writes",
    );
    let generated_before = p.out_files();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for gone in [
        "out/staging/.zkc-tmp-AAAAAAAAAAAA",
        "out/staging/.zkc-old-BBBBBBBBBBBB",
        "out/.zkc-tmp-CCCCCCCCCCCC",
        "out/gone",
    ] {
        assert!(p.path(gone).symlink_metadata().is_err(), "{gone} swept");
    }
    for kept in [
        "out/staging/.zkc-tmp-EEEEEEEEEEEE",
        "out/staging/.zkc-tmp-mine",
        "out/backup/deep/.zkc-tmp-FFFFFFFFFFFF",
    ] {
        assert!(p.path(kept).symlink_metadata().is_ok(), "{kept} kept");
    }
    assert_eq!(
        fs::read_to_string(p.path("outside/victim")).unwrap(),
        "precious\n"
    );
    assert_eq!(p.out_files(), generated_before, "generated files untouched");
}

// ---- 2. ownership and the header -------------------------------------------------------------

#[test]
fn look_alike_headers_and_copies_are_foreign() {
    let p = built_example();
    fs::create_dir_all(p.path("out/staging-backup/staging")).unwrap();
    for entry in fs::read_dir(p.path("out/staging")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        fs::copy(entry.path(), p.path("out/staging-backup").join(&name)).unwrap();
        fs::copy(
            entry.path(),
            p.path("out/staging-backup/staging").join(&name),
        )
        .unwrap();
    }
    p.write("out/README.md", "# Generated by zkc\n\nOur notes.\n");
    p.write(
        "out/staging/notes.yaml",
        "# Generated by zkcli 1.0\nkind: Note\n",
    );
    let copy = fs::read(p.path("out/staging/service-zookeeper.yaml")).unwrap();
    fs::write(p.path("out/develop/service-copied.yaml"), copy).unwrap();
    fs::remove_file(p.path("specs/staging.kdl")).unwrap();
    let before = p.hash();
    let out = p.zkc(&["build", "specs", "--allow-removal", "staging"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let after = p.hash();
    for (rel, kind) in &before {
        let pruned = rel.starts_with("out/staging/") && !rel.ends_with("notes.yaml")
            || rel.starts_with("out/_argocd")
            || rel == "specs/staging.kdl";
        if !pruned {
            assert_eq!(after.get(rel), Some(kind), "{rel} untouched");
        }
    }
    assert!(
        !p.path("out/staging/statefulset-zookeeper.yaml").exists(),
        "pruned"
    );
    assert!(!p.path("out/_argocd").exists(), "pruned");
}

/// YAML documents in `text` (a `---` line starts one).
fn documents(text: &str) -> usize {
    use serde::Deserialize;
    let mut count = 0;
    for document in serde_yaml::Deserializer::from_str(text) {
        serde_yaml::Value::deserialize(document).expect("valid YAML");
        count += 1;
    }
    count
}

/// Every file under `out/` holds exactly one YAML document and no smuggled object.
fn assert_one_document_per_file(p: &Project) -> usize {
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(p.path("out")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let text = fs::read_to_string(entry.path()).unwrap();
            assert_eq!(documents(&text), 1, "{}:\n{text}", entry.path().display());
            // The header names it, escaped in the comment; it is never a line of YAML.
            assert!(
                !text.lines().any(|l| l.starts_with("kind: Secret")),
                "{text}"
            );
            seen += 1;
        }
    }
    seen
}

#[test]
fn a_spec_file_name_cannot_add_objects() {
    let evil_file = "evil\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\n#.kdl";
    let p = Project::new(&[("lib/base.kdl", LIB), (evil_file, STAGING)]);
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(assert_one_document_per_file(&p) > 0);
}

#[test]
fn an_environment_name_cannot_add_objects() {
    let env = "environment \"e\\n---\\nkind: Secret\\n#\" { namespace \"evil\"; import \"lib/base.kdl\"; ensemble \"zookeeper\" }";
    let p = Project::new(&[("lib/base.kdl", LIB), ("env.kdl", env)]);
    let out = p.zkc(&["build", "specs"]);
    // The checks refuse the name (ZK0030) and nothing is written; the header's own escaping
    // is unit-tested in render.rs for hostile names that reach it.
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("ZK0030"), "{}", stderr(&out));
    assert!(!p.path("out").exists());
}

// ---- 3. all or nothing -----------------------------------------------------------------------

/// A tmpfs of `kib` KiB mounted on a new directory, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(kib: u64) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn skip(why: &str) {
    eprintln!("SKIPPED: {why} (needs root and tmpfs, as in CI)");
}

/// Specs of one environment with `n` ensembles; `labelled` changes every generated file.
fn big_specs(p: &Project, range: std::ops::Range<usize>, labelled: bool) {
    let mut text = String::from(
        "environment \"big\" { import \"lib/base.kdl\"; argocd repo=\"https://git.example.com/zk.git\"\n",
    );
    if labelled {
        text.push_str("  labels team=\"b\"\n");
    }
    for i in range {
        text.push_str(&format!("  ensemble \"zk{i}\"\n"));
    }
    text.push_str("}\n");
    p.write("specs/big.kdl", &text);
    p.write("specs/lib/base.kdl", LIB);
}

#[test]
fn a_full_disk_leaves_out_as_it_was() {
    let Some(probe) = Tmpfs::mount(64) else {
        return skip("cannot mount a tmpfs");
    };
    drop(probe);
    // The trees, built on a roomy disk: old (40 ensembles) and new (every file changed, some
    // removed, some added).
    let reference = Project::new(&[]);
    big_specs(&reference, 0..40, false);
    assert_eq!(
        code(&reference.zkc(&["build", "specs", "--allow-removal", "big"])),
        0
    );
    let old = reference.out_files();
    big_specs(&reference, 10..50, true);
    assert_eq!(
        code(&reference.zkc(&["build", "specs", "--allow-removal", "big"])),
        0
    );
    let new = reference.out_files();
    // tmpfs counts whole pages: the old tree fits, the new one only with room to spare.
    let pages = |n: usize| n as u64 * 4;
    let (min, max) = (pages(old.len() + 8), pages(old.len() + 2 * new.len() + 16));
    let mut outcomes = BTreeMap::new();
    for kib in (min..=max).step_by(((max - min) / 12).max(4) as usize) {
        let Some(disk) = Tmpfs::mount(kib) else {
            return skip("cannot mount a tmpfs");
        };
        let p = Project::new_in(disk.0.path(), &[]);
        big_specs(&p, 0..40, false);
        if code(&p.zkc(&["build", "specs", "--allow-removal", "big"])) != 0 {
            continue; // not even the old tree fits
        }
        big_specs(&p, 10..50, true);
        let before = p.hash();
        let out = p.zkc(&["build", "specs", "--allow-removal", "big"]);
        match code(&out) {
            0 => assert_eq!(p.out_files(), new, "{kib} KiB: the new tree"),
            2 => {
                let message = stderr(&out);
                assert!(message.contains("No space left on device"), "{message}");
                assert!(message.contains("rolled back"), "{message}");
                assert!(message.contains("out/"), "names the file: {message}");
                assert_eq!(p.hash(), before, "{kib} KiB: no byte changed");
                assert_eq!(p.out_files(), old);
            }
            other => panic!("exit {other}: {}", stderr(&out)),
        }
        *outcomes.entry(code(&out)).or_insert(0) += 1;
    }
    eprintln!("full disk: outcomes by exit code {outcomes:?}");
    assert!(
        outcomes.contains_key(&2),
        "some sizes must fill the disk mid-build"
    );
    assert!(outcomes.contains_key(&0), "some sizes must fit");
}

#[test]
fn fmt_on_a_full_disk_leaves_the_spec_whole() {
    let Some(disk) = Tmpfs::mount(16) else {
        return skip("cannot mount a tmpfs");
    };
    let p = Project::new_in(disk.0.path(), &[]);
    let spec = format!(
        "environment   \"x\" {{ {} }}\n",
        "ensemble \"zk\" ; ".repeat(300)
    );
    p.write("specs/x.kdl", &spec);
    // Fill what is left, so the formatted copy cannot be written.
    let filler = vec![0u8; 4096];
    let mut f = fs::File::create(p.path("filler")).unwrap();
    while std::io::Write::write_all(&mut f, &filler).is_ok() {}
    drop(f);
    let out = p.zkc(&["fmt", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("x.kdl"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(p.path("specs/x.kdl")).unwrap(), spec);
}

#[test]
fn a_read_only_namespace_directory_changes_nothing() {
    let p = built_example();
    let dir = p.path("out/staging");
    let bind = Command::new("mount")
        .arg("--bind")
        .arg(&dir)
        .arg(&dir)
        .status();
    if !bind.is_ok_and(|s| s.success()) {
        return skip("cannot bind-mount");
    }
    let ro = Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&dir)
        .status();
    let guard = Unmount(dir.clone());
    if !ro.is_ok_and(|s| s.success()) {
        return skip("cannot remount read-only");
    }
    change_staging(&p);
    p.write(
        "specs/develop.kdl",
        &DEVELOP.replace("ensemble", "labels x=\"y\"; ensemble"),
    );
    let before = p.hash();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("out/staging/"), "{}", stderr(&out));
    assert_eq!(p.hash(), before, "_argocd/ and develop/ untouched too");
    drop(guard);
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// xorshift64*: a seeded, reproducible sequence without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn a_killed_build_leaves_the_old_or_the_new_tree() {
    let p = Project::new(&[]);
    big_specs(&p, 0..300, false);
    assert_eq!(
        code(&p.zkc(&["build", "specs", "--allow-removal", "big"])),
        0
    );
    let old = p.out_files();
    let pristine_dir = tempfile::tempdir().unwrap();
    let pristine = pristine_dir.path().join("out");
    copy_tree(&p.path("out"), &pristine);
    // The build that is killed: old tree → new specs (every file changed, 40 ensembles removed,
    // 40 added), timed once to spread the kills over its whole length.
    big_specs(&p, 40..340, true);
    let started = Instant::now();
    assert_eq!(
        code(&p.zkc(&["build", "specs", "--allow-removal", "big"])),
        0
    );
    let mut full = started.elapsed();
    let new = p.out_files();
    let mut rng = Rng(0x5eed_2026_1125);
    // Eight kills; on a loaded machine (a build took 14 s with the whole suite running on two
    // shared cores) the time cap ends it earlier.
    let deadline = Instant::now() + Duration::from_secs(150);
    let (mut iterations, mut outcomes) = (0, BTreeMap::<&str, u32>::new());
    while iterations < 8 && Instant::now() < deadline {
        iterations += 1;
        fs::remove_dir_all(p.path("out")).unwrap();
        copy_tree(&pristine, &p.path("out"));
        let mut child = p
            .command(&["build", "specs", "--allow-removal", "big"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.below(full.as_millis() as u64 * 11 / 10 + 1);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let state = classify_killed(&p, &old, &new, iterations, delay);
        *outcomes.entry(state).or_insert(0) += 1;
        // The next build removes every leftover and yields exactly the new tree. On a loaded
        // machine builds slow down: later kills spread over the longest build seen.
        let started = Instant::now();
        let out = p.zkc(&["build", "specs", "--allow-removal", "big"]);
        full = full.max(started.elapsed());
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let all = names(&p.path("out"));
        assert!(
            all.iter()
                .all(|(rel, _)| !is_zkc_leftover(rel) && rel != ".zkc-journal"),
            "leftovers: {all:?}"
        );
        assert_eq!(p.out_files(), new);
    }
    eprintln!("{iterations} kills over a {full:?} build: {outcomes:?}");
    assert!(iterations >= 2, "at least a few kills in the time given");
}

/// The tree a killed build left: `old`, `new`, or `journal` (killed while renaming), which the
/// next build must roll back to exactly the old tree: built from the old specs, it then has
/// nothing to write.
fn classify_killed(
    p: &Project,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    iteration: u32,
    delay: u64,
) -> &'static str {
    let files = p.out_files();
    if !p.path("out/.zkc-journal").exists() {
        assert!(
            files == *old || files == *new,
            "iteration {iteration}, killed after {delay} ms: a mixed tree"
        );
        return if files == *old { "old" } else { "new" };
    }
    big_specs(p, 0..300, false);
    let out = p.zkc(&["build", "specs", "--allow-removal", "big"]);
    assert!(stderr(&out).contains("rolled back an interrupted build"));
    assert!(stderr(&out).contains(" 0 written"), "{}", stderr(&out));
    assert_eq!(p.out_files(), *old);
    big_specs(p, 40..340, true);
    "journal"
}

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_journal_blocks_check_until_build_rolls_it_back() {
    let p = built_example();
    p.write("out/.zkc-journal", r#"{"steps":[],"created_dirs":[]}"#);
    let before = p.hash();
    let out = p.zkc(&["check", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("interrupted build"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.hash(), before);
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!p.path("out/.zkc-journal").exists());
}

#[test]
fn a_forged_journal_cannot_move_files_out_of_out() {
    let p = built_example();
    p.write("outside/victim", "precious\n");
    p.write(
        "out/.zkc-journal",
        r#"{"steps":[{"rel":"../outside/victim","staged":null,"backup":".zkc-old-AAAAAAAAAAAA"}],"created_dirs":[".."]}"#,
    );
    let before = p.hash();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a journal zkc wrote"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.hash(), before);
}

// ---- 4. two builds at once -------------------------------------------------------------------

#[test]
fn a_held_lock_makes_a_build_wait_then_fail() {
    let p = built_example();
    change_staging(&p);
    let lock = fs::File::create(p.path("out/.zkc.lock")).unwrap();
    lock.lock().unwrap();
    let before = p.hash();
    let started = Instant::now();
    let out = p.zkc(&["build", "specs", "--lock-wait", "1"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another zkc build holds"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() >= Duration::from_secs(1), "it waited");
    assert_eq!(p.hash(), before);
    lock.unlock().unwrap();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        !p.path("out/.zkc.lock").exists(),
        "the lock file is never left for git"
    );
}

#[test]
fn two_builds_at_once_never_mix() {
    let p = Project::new(&[]);
    for (dir, range, labelled) in [("a", 0..60, false), ("b", 30..90, true)] {
        big_specs(&p, range, labelled);
        fs::rename(p.path("specs"), p.path(dir)).unwrap();
    }
    let tree = |dir: &str| {
        let _ = fs::remove_dir_all(p.path("out"));
        assert_eq!(
            code(&p.zkc(&["build", dir, "--out", "out", "--allow-removal", "big"])),
            0
        );
        p.out_files()
    };
    let (a, b) = (tree("a"), tree("b"));
    for round in 0..4 {
        let spawn = |dir: &str| {
            p.command(&[
                "build",
                dir,
                "--out",
                "out",
                "--lock-wait",
                "60",
                "--allow-removal",
                "big",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        };
        let (first, second) = if round % 2 == 0 {
            ("a", "b")
        } else {
            ("b", "a")
        };
        let (x, y) = (spawn(first), spawn(second));
        for child in [x, y] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(code(&out), 0, "{}", stderr(&out));
        }
        let files = p.out_files();
        assert!(
            files == a || files == b,
            "round {round}: a mix of both specs"
        );
    }
}

// ---- 5. smaller ------------------------------------------------------------------------------

#[test]
fn an_output_directory_that_is_a_link_is_refused() {
    let p = example();
    fs::create_dir(p.path("outside/real-out")).unwrap();
    p.link("outside/real-out", "out");
    let before = p.hash();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.hash(), before);
    assert_eq!(fs::read_dir(p.path("outside/real-out")).unwrap().count(), 0);
}

#[test]
fn an_unreadable_foreign_file_does_not_block_builds() {
    let p = built_example();
    p.write("out/staging/secret-notes.txt", "mine\n");
    fs::set_permissions(
        p.path("out/staging/secret-notes.txt"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let status = Command::new("mkfifo")
        .arg(p.path("out/develop/pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    change_staging(&p);
    // Root reads anything: run zkc as another user who owns the tree but not the file.
    let mut build = p.command(&["build", "specs"]);
    if is_root() {
        chown_tree(p.dir.path(), 65534);
        std::os::unix::fs::chown(p.path("out/staging/secret-notes.txt"), Some(0), Some(0)).unwrap();
        std::os::unix::process::CommandExt::uid(&mut build, 65534);
    }
    let out = run_bounded(build, Duration::from_secs(60));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(p.path("out/staging/secret-notes.txt").exists());
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

fn chown_tree(root: &Path, uid: u32) {
    std::os::unix::fs::chown(root, Some(uid), Some(uid)).unwrap();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let path = entry.unwrap().into_path();
        std::os::unix::fs::lchown(&path, Some(uid), Some(uid)).unwrap();
    }
}

#[test]
fn a_fifo_where_zkc_writes_is_refused_without_hanging() {
    let p = built_example();
    fs::remove_file(p.path("out/staging/service-zookeeper.yaml")).unwrap();
    let status = Command::new("mkfifo")
        .arg(p.path("out/staging/service-zookeeper.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let before = p.hash();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("was not generated by zkc"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.hash(), before);
}

#[test]
fn init_never_writes_through_links() {
    let p = Project::new(&[]);
    fs::create_dir(p.path("specs")).unwrap();
    p.link("outside/victim.kdl", "specs/default.kdl"); // dangling
    let before = p.hash();
    let out = p.zkc(&["init", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("default.kdl exists"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.hash(), before);

    let q = Project::new(&[]);
    fs::create_dir(q.path("specs")).unwrap();
    fs::create_dir(q.path("outside/lib")).unwrap();
    q.link("outside/lib", "specs/lib");
    let out = q.zkc(&["init", "specs"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(fs::read_dir(q.path("outside/lib")).unwrap().count(), 0);
}

#[test]
fn fmt_never_writes_through_links() {
    let p = Project::new(&[]);
    p.write("outside/x.kdl", "environment   \"x\" { }\n");
    fs::create_dir(p.path("specs")).unwrap();
    p.link("outside/x.kdl", "specs/x.kdl");
    let before = p.hash();
    let out = p.zkc(&["fmt", "specs/x.kdl"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(p.hash(), before);
}

#[test]
fn a_failed_first_build_leaves_no_output_directory() {
    let p = Project::new(&[("broken.kdl", "environment \"x\" { servers \"three\" }")]);
    let before = p.hash();
    let out = p.zkc(&["build", "specs"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(p.hash(), before, "not even an empty out/ or a lock file");
}
