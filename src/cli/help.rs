//! The man page and the completion scripts, both built from the clap definition of [`Cli`].

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Arg, CommandFactory};

use super::{Cli, EXIT_STATUS};
use crate::compile::{self, NothingDeployed};
use crate::diag::Code;

/// A value parser that accepts any text but offers a list to the completion generators.
/// clap_complete's dynamic completion is unstable, so the list is fixed when the script is
/// generated: the user regenerates it after adding an environment.
#[derive(Clone)]
struct Offered(Vec<String>);

impl TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|v| PossibleValue::new(v.clone())),
        ))
    }
}

/// The completion script of `shell`, offering the targets of [`targets`].
pub(super) fn completions(shell: clap_complete::Shell, specs: &Path, w: &mut dyn Write) {
    let (render, explain) = targets(specs);
    let mut cmd = completing(&render, &explain);
    clap_complete::generate(shell, &mut cmd, "zkc", w);
    if shell == clap_complete::Shell::Fish {
        // clap_complete's fish script completes no positional values: added here.
        for (command, values) in [("render", &render), ("explain", &explain)] {
            let _ = writeln!(
                w,
                "complete -c zkc -n \"__fish_zkc_using_subcommand {command}\" -f -a \"{}\"",
                values.join(" ")
            );
        }
    }
}

/// The targets of `render` (`ENV`, `ENV/ENSEMBLE`) and of `explain` (`ENV/ENSEMBLE`, every
/// diagnostic code) for the specs under `specs`, if they compile far enough to have
/// environments.
fn targets(specs: &Path) -> (Vec<String>, Vec<String>) {
    let (mut environments, mut ensembles) = (Vec::new(), Vec::new());
    if specs.is_dir()
        && let Ok(c) = compile::compile_dir(specs, &NothingDeployed)
    {
        for env in &c.environments {
            environments.push(env.name.clone());
            ensembles.extend(
                env.ensembles
                    .iter()
                    .map(|e| format!("{}/{}", env.name, e.name)),
            );
        }
    }
    let codes: Vec<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    let render: Vec<String> = environments.iter().chain(&ensembles).cloned().collect();
    let explain: Vec<String> = ensembles.iter().chain(&codes).cloned().collect();
    (render, explain)
}

/// The command line with the targets of `render` and `explain` offered.
fn completing(render: &[String], explain: &[String]) -> clap::Command {
    let offer = |values: &[String]| {
        let values = values.to_vec();
        // `mut_arg` moves the argument to the end: its index keeps it before SPECS.
        move |a: Arg| {
            a.value_parser(Offered(values.clone()))
                .hide_possible_values(true)
                .index(1)
        }
    };
    Cli::command()
        .mut_subcommand("render", |s| {
            s.mut_arg("target", offer(render))
                .mut_arg("specs", |a| a.index(2))
        })
        .mut_subcommand("explain", |s| {
            s.mut_arg("target", offer(explain))
                .mut_arg("specs", |a| a.index(2))
        })
}

/// The man page: clap_mangen's sections, but one COMMANDS section describing every command in
/// this page (clap_mangen's refers to `zkc-build(1)` pages that do not exist) and EXIT STATUS.
pub(super) fn man_page(w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    commands_section(&cmd, w)?;
    writeln!(w, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in EXIT_STATUS {
        writeln!(w, ".TP\n.B {code}\n{}", roff(meaning))?;
    }
    writeln!(
        w,
        ".SH DOCUMENTATION\nREADME.md, docs/spec\\-reference.md, docs/diagnostics.md and docs/gitops.md in the zkc repository; \\fBzkc explain CODE\\fR prints the explanation of a diagnostic."
    )?;
    man.render_version_section(w)
}

fn commands_section(cmd: &clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(w, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        writeln!(w, ".TP\n\\fB{}\\fR", roff(usage))?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(w, "{}", roff(&about.to_string()))?;
        }
        let args = sub
            .get_arguments()
            .filter(|a| !a.is_global_set() && !a.is_hide_set());
        for arg in args.filter(|a| a.get_id() != "help") {
            let name = match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => arg.get_id().to_string().to_uppercase(),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            writeln!(w, ".RS\n.TP\n\\fI{}\\fR\n{}\n.RE", roff(&name), roff(&help))?;
        }
        if let Some(examples) = sub.get_after_help() {
            writeln!(w, ".RS\n.nf\n{}\n.fi\n.RE", roff(&examples.to_string()))?;
        }
    }
    Ok(())
}

/// Text as roff: backslashes and hyphens escaped, no line starting with a control character.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|l| {
            if l.starts_with(['.', '\'']) {
                format!("\\&{l}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
