//! The command line. Exit codes are part of the interface (README "Exit codes").

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum, ValueHint};

use crate::compile::{self, Compilation, NothingDeployed};
use crate::diag::render::{MessageFormat, escape_data, escape_property, printable, render};
use crate::diag::{Code, Severity};
use crate::model::{Ensemble, Environment};
use crate::output::{self, Current, DeployedOut, Plan};
use crate::source::LoadError;

mod help;

/// `print!` that stops quietly when standard output is a closed pipe (see [`written`]).
macro_rules! out {
    ($($arg:tt)*) => {
        written(write!(std::io::stdout().lock(), $($arg)*))
    };
}

/// `println!` that stops quietly when standard output is a closed pipe (see [`written`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        written(writeln!(std::io::stdout().lock(), $($arg)*))
    };
}

/// The end of every write to standard output or error. A reader that went away
/// (`zkc diff specs | head -1`) ends zkc quietly with success, as ripgrep and the Rust CLIs
/// users know do; `println!` would panic instead. Any other write error is an I/O error.
fn written(result: std::io::Result<()>) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(EXIT_OK.into()),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "zkc: cannot write the output: {e}");
            std::process::exit(EXIT_USAGE_OR_IO.into());
        }
    }
}

pub const EXIT_OK: u8 = 0;
pub const EXIT_SPEC_ERRORS: u8 = 1;
pub const EXIT_USAGE_OR_IO: u8 = 2;
pub const EXIT_DRIFT: u8 = 3;

/// What each exit code means: the man page's EXIT STATUS section and `zkc --help` read this
/// one table (README "Exit codes" says the same in prose).
pub const EXIT_STATUS: &[(u8, &str)] = &[
    (EXIT_OK, "success"),
    (
        EXIT_SPEC_ERRORS,
        "a spec has errors (or warnings, with --deny-warnings); nothing was written",
    ),
    (
        EXIT_USAGE_OR_IO,
        "usage or I/O error, an unknown environment or ensemble, a file zkc did not generate where it must write, a locked or interrupted output directory; nothing was written",
    ),
    (
        EXIT_DRIFT,
        "zkc check: the output directory is not what the specs produce; zkc fmt --check: a file is not formatted",
    ),
];

const MAIN_EXAMPLES: &str = "Examples:
  zkc init specs                  write a commented starter specs directory
  zkc build                       compile specs/ into out/
  zkc explain staging/zookeeper   every resolved value and where it came from
  zkc fmt --check && zkc check    the CI gate

Exit status: 0 success, 1 spec errors, 2 usage or I/O error, 3 stale output or unformatted specs.";

#[derive(Parser, Debug)]
#[command(
    name = "zkc",
    version,
    about = "Compile KDL specs into production-grade ZooKeeper manifests for Kubernetes GitOps",
    after_help = MAIN_EXAMPLES
)]
pub struct Cli {
    /// How diagnostics are printed: for people, one JSON object per line, or GitHub Actions
    /// workflow commands.
    #[arg(long, value_enum, default_value = "human", global = true)]
    message_format: MessageFormat,
    /// When to use colours (auto: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: Color,
    /// Treat warnings as errors.
    #[arg(long, global = true)]
    deny_warnings: bool,
    /// Print only diagnostics and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print the time spent in each stage.
    #[arg(long, global = true)]
    timings: bool,
    /// Also list every file written or removed.
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
struct Paths {
    /// The specs directory (every *.kdl file under it is read).
    #[arg(default_value = "specs", value_hint = ValueHint::DirPath)]
    specs: PathBuf,
    /// The output directory [default: `out` next to the specs directory].
    #[arg(long, value_hint = ValueHint::DirPath)]
    out: Option<PathBuf>,
}

/// What a build may do to the ensembles deployed from `out/`, named one by one.
#[derive(clap::Args, Debug, Default)]
struct Allow {
    /// Let the build remove an ensemble (`NAMESPACE/ENSEMBLE`) or every ensemble of a namespace
    /// whose environment is gone (`NAMESPACE`); see `zkc explain ZK0067`.
    #[arg(long, value_name = "NAMESPACE[/ENSEMBLE]")]
    allow_removal: Vec<String>,
    /// Let the build change a field the API server cannot change on a running StatefulSet,
    /// after the orphan-delete procedure of `zkc explain ZK0068`.
    #[arg(long, value_name = "NAMESPACE/ENSEMBLE")]
    allow_recreate: Vec<String>,
}

impl Allow {
    fn allowed(&self) -> crate::plan::Allowed {
        crate::plan::Allowed {
            removal: self.allow_removal.clone(),
            recreate: self.allow_recreate.clone(),
        }
    }
}

impl Paths {
    /// `out` next to the specs directory. The specs directory is resolved first when it is `.`
    /// or `..`, so `zkc build .` inside `specs/` writes the `out/` beside it.
    fn out(&self) -> PathBuf {
        if let Some(out) = &self.out {
            return out.clone();
        }
        let named = matches!(
            self.specs.components().next_back(),
            Some(std::path::Component::Normal(_))
        );
        let specs = match named {
            true => self.specs.clone(),
            false => self
                .specs
                .canonicalize()
                .unwrap_or_else(|_| self.specs.clone()),
        };
        match specs.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => parent.join("out"),
            None => PathBuf::from("out"),
        }
    }
}

/// The command to suggest when the specs argument is not a specs directory: a spec file
/// (`zkc build specs/staging.kdl`) or a project root holding `specs/` (`zkc build .`).
/// Environments import libraries, so zkc always compiles a whole directory.
fn misplaced_specs(command: &str, specs: &Path) -> Option<String> {
    let suggest = |dir: &Path| {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        format!("zkc {command} {}", dir.display())
    };
    if specs.is_file() {
        let dir = specs.parent().unwrap_or(Path::new("."));
        return Some(format!(
            "{} is a file; zkc {command} compiles a whole specs directory (environments import libraries): run `{}`",
            specs.display(),
            suggest(dir)
        ));
    }
    let inner = match specs == Path::new(".") {
        true => PathBuf::from("specs"),
        false => specs.join("specs"),
    };
    let has_own_specs = std::fs::read_dir(specs).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "kdl"))
    });
    (inner.is_dir() && !has_own_specs).then(|| {
        format!(
            "{} holds a specs directory but no spec files of its own: run `{}`",
            specs.display(),
            suggest(&inner)
        )
    })
}

/// The output directory with the default `path-prefix` derived from its place in the git
/// repository.
struct InRepository<'a> {
    out: &'a dyn crate::check::Deployed,
    prefix: Option<String>,
    /// `zkc check`: `out/` should already be what the specs build into.
    is_build_result: bool,
    allowed: crate::plan::Allowed,
}

impl crate::check::Deployed for InRepository<'_> {
    fn servers(&self, namespace: &str, ensemble: &str) -> Option<i64> {
        self.out.servers(namespace, ensemble)
    }

    fn path_prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    fn is_build_result(&self) -> bool {
        self.is_build_result
    }

    fn file(&self, rel: &str) -> Option<&str> {
        self.out.file(rel)
    }

    fn allowed(&self) -> &crate::plan::Allowed {
        &self.allowed
    }

    fn statefulsets(&self) -> Vec<String> {
        self.out.statefulsets()
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile every environment and write the output tree (only files whose bytes change).
    #[command(after_help = "Examples:
  zkc build                      specs/ into out/ next to it
  zkc build specs --out deploy   another output directory
  zkc build --lock-wait 60       wait up to a minute for another build")]
    Build {
        #[command(flatten)]
        paths: Paths,
        /// How long to wait for another build of the same output directory to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        lock_wait: u64,
        #[command(flatten)]
        allow: Allow,
    },
    /// Compile in memory and compare with the output tree; exit 3 when it is stale.
    #[command(after_help = "Examples:
  zkc check                                    exit 3 when out/ is stale
  zkc --message-format github check specs      annotations in a pull request")]
    Check(Paths),
    /// Show, as a unified diff, what `build` would change.
    #[command(after_help = "Examples:
  zkc diff
  zkc diff --color always | less -R
  zkc diff --exit-code           exit 1 when the build would change out/")]
    Diff {
        #[command(flatten)]
        paths: Paths,
        #[command(flatten)]
        allow: Allow,
        /// Exit with 1 when the build would change the output directory, as `git diff
        /// --exit-code` does.
        #[arg(long)]
        exit_code: bool,
    },
    /// Explain a diagnostic code (`ZK0020`), or show a resolved ensemble (`ENV/ENSEMBLE`) with
    /// the origin of every value.
    #[command(after_help = "Examples:
  zkc explain ZK0046
  zkc explain staging/zookeeper
  zkc --message-format json explain staging/zookeeper")]
    Explain {
        /// A diagnostic code (`ZK0020`) or `ENVIRONMENT/ENSEMBLE`.
        #[arg(value_name = "CODE|ENV/ENSEMBLE")]
        target: String,
        /// The specs directory.
        #[arg(default_value = "specs", value_hint = ValueHint::DirPath)]
        specs: PathBuf,
    },
    /// Print the YAML documents of one environment (`ENV`) or one ensemble (`ENV/ENSEMBLE`),
    /// `---` separated, as `kustomize build` does; nothing is written.
    #[command(after_help = "Examples:
  zkc render staging
  zkc render staging/zookeeper | kubectl apply --dry-run=server -f -")]
    Render {
        /// `ENVIRONMENT` or `ENVIRONMENT/ENSEMBLE`.
        #[arg(value_name = "ENV[/ENSEMBLE]")]
        target: String,
        /// The specs directory.
        #[arg(default_value = "specs", value_hint = ValueHint::DirPath)]
        specs: PathBuf,
    },
    /// Write a starter specs directory: a shared library and the `default`, `staging` and
    /// `develop` environments, commented. Refuses to overwrite existing files.
    #[command(after_help = "Examples:
  zkc init
  zkc init platform/specs")]
    Init {
        /// Where to write the specs.
        #[arg(default_value = "specs", value_hint = ValueHint::DirPath)]
        dir: PathBuf,
    },
    /// Format spec files canonically, keeping every comment; with --check, show the diff of
    /// what would change and exit 3.
    #[command(after_help = "Examples:
  zkc fmt
  zkc fmt --check specs/staging.kdl")]
    Fmt {
        /// Change nothing: print the diff and exit 3 when a file is not formatted.
        #[arg(long)]
        check: bool,
        /// Spec files or directories.
        #[arg(default_value = "specs", value_hint = ValueHint::AnyPath)]
        paths: Vec<PathBuf>,
    },
    /// Print a shell completion script; the environments and ensembles of SPECS (when it
    /// exists) and every diagnostic code are offered where a command expects them.
    #[command(after_help = "Examples:
  zkc completions bash > ~/.local/share/bash-completion/completions/zkc
  zkc completions zsh specs > ~/.zfunc/_zkc
Regenerate the script after adding an environment or an ensemble.")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
        /// The specs directory whose environments and ensembles are offered.
        #[arg(default_value = "specs", value_hint = ValueHint::DirPath)]
        specs: PathBuf,
    },
    /// Print the man page (roff).
    #[command(after_help = "Example:
  zkc man | man -l -")]
    Man,
}

impl Command {
    /// The command's name and specs directory, for those that compile one.
    fn specs(&self) -> Option<(&'static str, &Path)> {
        match self {
            Command::Build { paths, .. } => Some(("build", &paths.specs)),
            Command::Check(paths) => Some(("check", &paths.specs)),
            Command::Diff { paths, .. } => Some(("diff", &paths.specs)),
            _ => None,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_USAGE_OR_IO
            } else {
                EXIT_OK
            });
        }
    };
    ExitCode::from(run(&cli))
}

struct Ui {
    format: MessageFormat,
    /// Colours in diagnostics (standard error).
    color: bool,
    /// Colours in diffs (standard output).
    color_out: bool,
    deny_warnings: bool,
    quiet: bool,
    timings: bool,
    verbose: bool,
}

impl Ui {
    fn new(cli: &Cli) -> Ui {
        // `--color always` wins over NO_COLOR: an explicit flag is the user's latest word.
        let color = |terminal: bool| match cli.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal,
        };
        Ui {
            format: cli.message_format,
            color: color(std::io::stderr().is_terminal()),
            color_out: color(std::io::stdout().is_terminal()),
            deny_warnings: cli.deny_warnings,
            quiet: cli.quiet,
            timings: cli.timings,
            verbose: cli.verbose,
        }
    }

    /// Prints the diagnostics; returns whether the run must fail.
    fn report(&self, c: &Compilation) -> bool {
        let mut stdout = std::io::stdout().lock();
        let mut stderr = std::io::stderr().lock();
        for d in &c.diagnostics {
            let text = render(d, &c.sources, self.format, self.color);
            written(match self.format {
                MessageFormat::Human => stderr.write_all(text.as_bytes()),
                _ => stdout.write_all(text.as_bytes()),
            });
        }
        let errors = c
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count();
        let warnings = c.diagnostics.len() - errors;
        if self.format == MessageFormat::Human && (errors > 0 || warnings > 0) {
            let _ = writeln!(stderr, "zkc: {errors} error(s), {warnings} warning(s)");
        }
        errors > 0 || (self.deny_warnings && warnings > 0)
    }

    fn timing(&self, stage: &str, elapsed: std::time::Duration) {
        if self.timings {
            eprintln!(
                "zkc: timing: {stage:<16} {:>9.3} ms",
                elapsed.as_secs_f64() * 1e3
            );
        }
    }

    fn info(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

fn run(cli: &Cli) -> u8 {
    let ui = Ui::new(cli);
    if let Some((command, specs)) = cli.command.specs()
        && let Some(message) = misplaced_specs(command, specs)
    {
        return fail(message);
    }
    match &cli.command {
        Command::Build {
            paths,
            lock_wait,
            allow,
        } => build(
            &ui,
            paths,
            &allow.allowed(),
            std::time::Duration::from_secs(*lock_wait),
        ),
        Command::Check(paths) => check(&ui, paths),
        Command::Diff {
            paths,
            allow,
            exit_code,
        } => diff(&ui, paths, &allow.allowed(), *exit_code),
        Command::Explain { target, specs } => explain(&ui, target, specs),
        Command::Render { target, specs } => render_target(&ui, target, specs),
        Command::Init { dir } => init(&ui, dir),
        Command::Fmt { check, paths } => fmt(&ui, paths, *check),
        Command::Completions { shell, specs } => {
            help::completions(*shell, specs, &mut std::io::stdout());
            EXIT_OK
        }
        Command::Man => match help::man_page(&mut std::io::stdout()) {
            Ok(()) => EXIT_OK,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK, // `zkc man | head`
            Err(e) => fail(e),
        },
    }
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("zkc: error: {message}");
    EXIT_USAGE_OR_IO
}

/// Compiles against the current output tree; `Err` is the exit code.
/// How a command reads `out/`: as the state a build starts from, with what the command line
/// allows against it, or (`zkc check`) as what the specs should already have built.
enum Against<'a> {
    Before(&'a crate::plan::Allowed),
    BuildResult,
}

fn compile_against(
    ui: &Ui,
    paths: &Paths,
    against: Against,
) -> Result<(Compilation, Current, PathBuf), u8> {
    let out = paths.out();
    let started = Instant::now();
    let current = Current::read(&out).map_err(fail)?;
    ui.timing("read out/", started.elapsed());
    let deployed = InRepository {
        out: &DeployedOut(&current),
        prefix: crate::repo::path_in_repository(&out),
        is_build_result: matches!(against, Against::BuildResult),
        allowed: match against {
            Against::Before(allowed) => allowed.clone(),
            Against::BuildResult => crate::plan::Allowed::default(),
        },
    };
    let compilation =
        compile::compile_dir(&paths.specs, &deployed).map_err(|e: LoadError| fail(e))?;
    for (stage, elapsed) in &compilation.timings {
        ui.timing(stage, *elapsed);
    }
    if ui.report(&compilation) {
        return Err(EXIT_SPEC_ERRORS);
    }
    Ok((compilation, current, out))
}

fn planned(
    ui: &Ui,
    paths: &Paths,
    against: Against,
) -> Result<(Compilation, Current, PathBuf, Plan), u8> {
    let (compilation, current, out) = compile_against(ui, paths, against)?;
    let tree = compilation.tree.as_ref().expect("no errors, so a tree");
    let started = Instant::now();
    let plan = output::plan(&out, tree, &current);
    ui.timing("compare", started.elapsed());
    match plan {
        Ok(plan) => Ok((compilation, current, out, plan)),
        Err(errors) => {
            for e in errors {
                eprintln!("zkc: error: {e}");
            }
            eprintln!(
                "zkc: nothing was written; move those files out of the output directory or delete them"
            );
            Err(EXIT_USAGE_OR_IO)
        }
    }
}

fn build(
    ui: &Ui,
    paths: &Paths,
    allowed: &crate::plan::Allowed,
    lock_wait: std::time::Duration,
) -> u8 {
    let started = Instant::now();
    // Held from reading `out/` to the last rename, so two builds cannot mix; dropped (and the
    // lock file removed) on every return.
    let _lock = match output::Lock::acquire(&paths.out(), lock_wait) {
        Ok(lock) => lock,
        Err(e) => return fail(e),
    };
    match output::recover(&paths.out()) {
        Ok(true) => ui.info("zkc: rolled back an interrupted build"),
        Ok(false) => {}
        Err(e) => return fail(e),
    }
    let (compilation, _, out, plan) = match planned(ui, paths, Against::Before(allowed)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let tree = compilation.tree.as_ref().expect("no errors, so a tree");
    let writing = Instant::now();
    if let Err(e) = output::apply(&out, tree, &plan) {
        return fail(e);
    }
    for rel in &plan.unlisted {
        ui.info(&format!(
            "zkc: note: {} is not zkc's, so its kustomization.yaml does not list it and Argo CD or Flux will not apply it; to ship it, move it under the specs directory and name it in the environment's `manifests`",
            out.join(rel).display()
        ));
    }
    for rel in &plan.legacy {
        ui.info(&format!(
            "zkc: note: left {}: it has an older zkc's header and is no longer produced; delete it if it is not a copy",
            out.join(rel).display()
        ));
    }
    ui.timing("write", writing.elapsed());
    if ui.verbose {
        for (what, files) in [
            ("created", &plan.create),
            ("updated", &plan.update),
            ("removed", &plan.remove),
        ] {
            for f in files {
                eprintln!("zkc: {what} {}", out.join(f).display());
            }
        }
    }
    let ensembles: usize = compilation
        .environments
        .iter()
        .map(|e| e.ensembles.len())
        .sum();
    ui.info(&format!(
        "zkc: built {} environment(s), {ensembles} ensemble(s) into {}: {} written, {} unchanged, {} removed in {} ms",
        compilation.environments.len(),
        out.display(),
        plan.create.len() + plan.update.len(),
        plan.unchanged,
        plan.remove.len(),
        started.elapsed().as_millis()
    ));
    EXIT_OK
}

fn check(ui: &Ui, paths: &Paths) -> u8 {
    let (compilation, current, out, plan) = match planned(ui, paths, Against::BuildResult) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if plan.is_empty() {
        ui.info(&format!(
            "zkc: {} is up to date ({} files)",
            out.display(),
            plan.unchanged
        ));
        return EXIT_OK;
    }
    let changes = Changes::new(&compilation, &current, &out, &plan);
    for c in &changes.0 {
        let path = c.path.display();
        match ui.format {
            MessageFormat::Github => outln!(
                "::error file={},title=zkc%3A {} output::{} (run `zkc build` and commit the result)",
                escape_property(&path.to_string()),
                c.what,
                escape_data(&c.summary)
            ),
            MessageFormat::Json => outln!(
                "{}",
                serde_json::json!({ "drift": c.what, "file": path.to_string(), "summary": c.summary })
            ),
            MessageFormat::Human => outln!("{}: {path}  ({})", c.what, printable(&c.summary)),
        }
    }
    if ui.format == MessageFormat::Human {
        outln!();
        changes.print_diff(ui.color_out);
    }
    eprintln!(
        "zkc: {} is out of date: {} missing, {} stale, {} extra; run `zkc build` and commit the result",
        out.display(),
        plan.create.len(),
        plan.update.len(),
        plan.remove.len()
    );
    EXIT_DRIFT
}

fn diff(ui: &Ui, paths: &Paths, allowed: &crate::plan::Allowed, exit_code: bool) -> u8 {
    let (compilation, current, out, plan) = match planned(ui, paths, Against::Before(allowed)) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if plan.is_empty() {
        ui.info("zkc: no changes");
        return EXIT_OK;
    }
    let changes = Changes::new(&compilation, &current, &out, &plan);
    for c in &changes.0 {
        let path = c.path.display().to_string();
        match ui.format {
            MessageFormat::Github => outln!(
                "::notice file={},title=zkc%3A {}::{}",
                escape_property(&path),
                c.effect(),
                escape_data(&c.summary)
            ),
            MessageFormat::Json => outln!(
                "{}",
                serde_json::json!({ "change": c.effect(), "file": path, "summary": c.summary })
            ),
            MessageFormat::Human => outln!("# {}", printable(&c.summary)),
        }
    }
    if ui.format == MessageFormat::Human {
        outln!();
        changes.print_diff(ui.color_out);
    }
    if exit_code { EXIT_SPEC_ERRORS } else { EXIT_OK }
}

/// What `build` would change, file by file, in path order.
struct Changes<'a>(Vec<Change<'a>>);

struct Change<'a> {
    /// `missing`, `stale` or `extra`, as `zkc check` reports it.
    what: &'static str,
    path: PathBuf,
    old: &'a str,
    new: &'a str,
    summary: String,
}

impl Change<'_> {
    /// What `build` does to the file: `create`, `update` or `remove`.
    fn effect(&self) -> &'static str {
        match self.what {
            "missing" => "create",
            "extra" => "remove",
            _ => "update",
        }
    }
}

impl<'a> Changes<'a> {
    fn new(compilation: &'a Compilation, current: &'a Current, out: &Path, plan: &'a Plan) -> Self {
        let tree = compilation.tree.as_ref().expect("no errors, so a tree");
        let mut changes: Vec<Change> = [
            ("missing", &plan.create),
            ("stale", &plan.update),
            ("extra", &plan.remove),
        ]
        .into_iter()
        .flat_map(|(what, files)| files.iter().map(move |rel| (what, rel)))
        .map(|(what, rel)| {
            let old = current.generated(rel).unwrap_or("");
            let new = tree.get(rel).map(String::as_str).unwrap_or("");
            // The zoo.cfg of a StatefulSet's servers is in the ConfigMap beside it.
            let config = crate::summary::config_map_of(rel).map(|cm| {
                (
                    current.generated(&cm).unwrap_or(""),
                    tree.get(&cm).map(String::as_str).unwrap_or(""),
                )
            });
            Change {
                what,
                path: out.join(rel),
                old,
                new,
                summary: crate::summary::summarize(old, new, config),
            }
        })
        .collect();
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Changes(changes)
    }

    fn print_diff(&self, color: bool) {
        for c in &self.0 {
            let path = c.path.display().to_string();
            let a = if c.old.is_empty() {
                "/dev/null".to_owned()
            } else {
                format!("a/{path}")
            };
            let b = if c.new.is_empty() {
                "/dev/null".to_owned()
            } else {
                format!("b/{path}")
            };
            print_unified(c.old, c.new, &a, &b, color);
        }
    }
}

/// A unified diff on standard output, coloured like `git diff` when `color` is on.
fn print_unified(old: &str, new: &str, a: &str, b: &str, color: bool) {
    let text = similar::TextDiff::from_lines(old, new);
    let diff = text
        .unified_diff()
        .context_radius(3)
        .header(a, b)
        .to_string();
    if !color {
        return out!("{diff}");
    }
    let mut stdout = std::io::stdout().lock();
    let mut in_hunk = false;
    for line in diff.split_inclusive('\n') {
        in_hunk |= line.starts_with("@@");
        let style = match line.as_bytes().first() {
            _ if !in_hunk => "\x1b[1m",
            Some(b'@') => "\x1b[36m",
            Some(b'+') => "\x1b[32m",
            Some(b'-') => "\x1b[31m",
            _ => "",
        };
        let body = line.trim_end_matches('\n');
        let end = &line[body.len()..];
        if style.is_empty() {
            written(write!(stdout, "{line}"));
        } else {
            written(write!(stdout, "{style}{body}\x1b[0m{end}"));
        }
    }
}

fn explain(ui: &Ui, target: &str, specs: &Path) -> u8 {
    if let Some(code) = Code::parse(target) {
        match ui.format {
            MessageFormat::Json => outln!("{}", crate::explain::code_json(code)),
            _ => out!("{}", crate::explain::code(code)),
        }
        return EXIT_OK;
    }
    if !target.contains('/') {
        return fail(format!(
            "`{target}` is neither a diagnostic code (ZK0020) nor ENVIRONMENT/ENSEMBLE"
        ));
    }
    let compilation = match compiled(ui, specs) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // `target` holds a `/`, so a match names an ensemble.
    let Ok((env, Some(e))) = find(&compilation, target) else {
        return fail(find(&compilation, target).err().unwrap_or_default());
    };
    match ui.format {
        MessageFormat::Json => outln!(
            "{}",
            crate::explain::ensemble_json(&compilation.sources, env, e)
        ),
        _ => out!("{}", crate::explain::ensemble(&compilation.sources, env, e)),
    }
    EXIT_OK
}

/// The specs compiled on their own (no output directory); `Err` is the exit code after the
/// diagnostics were printed.
fn compiled(ui: &Ui, specs: &Path) -> Result<Compilation, u8> {
    let compilation = compile::compile_dir(specs, &NothingDeployed).map_err(fail)?;
    if ui.report(&compilation) {
        return Err(EXIT_SPEC_ERRORS);
    }
    Ok(compilation)
}

/// The environment and (for `ENV/ENSEMBLE`) ensemble a command line names, or what to say.
fn find<'c>(
    c: &'c Compilation,
    target: &str,
) -> Result<(&'c Environment, Option<&'c Ensemble>), String> {
    let (env_name, ensemble_name) = match target.split_once('/') {
        Some((env, ensemble)) => (env, Some(ensemble)),
        None => (target, None),
    };
    let Some(env) = c.environments.iter().find(|e| e.name == env_name) else {
        let names: Vec<&str> = c.environments.iter().map(|e| e.name.as_str()).collect();
        return Err(format!(
            "no environment `{env_name}`; {}",
            crate::diag::unknown_name_help(env_name, &names)
        ));
    };
    let Some(ensemble_name) = ensemble_name else {
        return Ok((env, None));
    };
    match env.ensembles.iter().find(|e| e.name == ensemble_name) {
        Some(e) => Ok((env, Some(e))),
        None => {
            let names: Vec<&str> = env.ensembles.iter().map(|e| e.name.as_str()).collect();
            Err(format!(
                "no ensemble `{ensemble_name}` in `{env_name}`; {}",
                crate::diag::unknown_name_help(ensemble_name, &names)
            ))
        }
    }
}

/// `zkc render`: the objects `kustomize build out/<namespace>` would print (the
/// kustomization itself and the Argo CD and Flux objects are not among them).
fn render_target(ui: &Ui, target: &str, specs: &Path) -> u8 {
    let compilation = match compiled(ui, specs) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (env, ensemble) = match find(&compilation, target) {
        Ok(found) => found,
        Err(message) => return fail(message),
    };
    let tree = compilation.tree.as_ref().expect("no errors, so a tree");
    let paths: Vec<String> = match ensemble {
        Some(e) => crate::render::ensemble_paths(env, e),
        None => {
            let dir = format!("{}/", env.namespace.value);
            tree.keys()
                .filter(|p| p.starts_with(&dir) && !p.ends_with("/kustomization.yaml"))
                .cloned()
                .collect()
        }
    };
    for path in &paths {
        out!("---\n{}", tree[path]);
    }
    EXIT_OK
}

/// The starter specs are the repository's own example specs, so `zkc init` always writes what
/// the tests and the validators check.
const STARTER: &[(&str, &str)] = &[
    ("lib/base.kdl", include_str!("../specs/lib/base.kdl")),
    ("default.kdl", include_str!("../specs/default.kdl")),
    ("staging.kdl", include_str!("../specs/staging.kdl")),
    ("develop.kdl", include_str!("../specs/develop.kdl")),
];

fn init(ui: &Ui, dir: &Path) -> u8 {
    // `symlink_metadata`: a dangling link is there too, and is not written through.
    let existing: Vec<PathBuf> = STARTER
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        for p in &existing {
            eprintln!("zkc: error: {} exists", p.display());
        }
        eprintln!("zkc: nothing was written; `zkc init` never overwrites files");
        return EXIT_USAGE_OR_IO;
    }
    for (rel, text) in STARTER {
        let rel = Path::new(rel);
        let sub = rel.parent().expect("a file in a directory");
        let written = crate::write::create_dirs(dir, sub)
            .and_then(|()| crate::write::create_new(&dir.join(rel), text.as_bytes()));
        if let Err(e) = written {
            return fail(e);
        }
    }
    ui.info(&format!(
        "zkc: wrote {} spec files into {}; next: `zkc build {}` and commit both directories",
        STARTER.len(),
        dir.display(),
        dir.display()
    ));
    EXIT_OK
}

fn fmt(ui: &Ui, paths: &[PathBuf], check: bool) -> u8 {
    let mut sources = crate::source::SourceMap::default();
    for path in paths {
        let loaded = if path.is_dir() {
            crate::source::load_dir(path)
        } else {
            std::fs::read_to_string(path)
                .map(|text| {
                    let mut one = crate::source::SourceMap::default();
                    let name = path.display().to_string();
                    one.add(name.clone(), name, text);
                    one
                })
                .map_err(|source| LoadError::Read {
                    path: path.clone(),
                    source,
                })
        };
        match loaded {
            Ok(map) => sources.append(map),
            Err(e) => return fail(e),
        }
    }
    let mut changed = Vec::new();
    let mut failed = false;
    for id in sources.ids() {
        let file = sources.get(id);
        match crate::fmt::format(&file.text) {
            Ok(formatted) if formatted != *file.text => {
                changed.push((file.name.clone(), file.text.clone(), formatted))
            }
            Ok(_) => {}
            Err(crate::fmt::FmtError::Syntax(_)) => failed = true,
            Err(e) => return fail(format!("{}: {e}", file.name)),
        }
    }
    if failed {
        // The same syntax diagnostics as every other command.
        let compilation = compile::compile(sources, &NothingDeployed);
        ui.report(&compilation);
        return EXIT_SPEC_ERRORS;
    }
    for (name, old, formatted) in &changed {
        if check {
            outln!("would reformat: {name}");
            print_unified(
                old,
                formatted,
                &format!("a/{name}"),
                &format!("b/{name}"),
                ui.color_out,
            );
        } else if let Err(e) = crate::write::replace(Path::new(name), formatted.as_bytes()) {
            return fail(e);
        } else if ui.verbose {
            eprintln!("zkc: formatted {name}");
        }
    }
    if check && !changed.is_empty() {
        eprintln!(
            "zkc: {} file(s) are not formatted; run `zkc fmt`",
            changed.len()
        );
        return EXIT_DRIFT;
    }
    ui.info(&format!(
        "zkc: {} file(s) checked, {} {}",
        sources.ids().count(),
        changed.len(),
        if check { "to reformat" } else { "reformatted" }
    ));
    EXIT_OK
}
