//! Stage 3: KDL documents → resolved environments. Every ensemble setting is composed from the
//! layers of docs/design.md §2 (built-in → imported libraries' `defaults` → the environment's
//! `defaults` → the `extends` template chain → the ensemble body), and every value remembers
//! where it came from.

mod settings;

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlNode};

use settings::Reader;
pub use settings::{Block, Def, Item, LeafKey, Value};

use crate::diag::{Code, Diagnostic, Diagnostics, par_map, unknown_name_help};
use crate::schema::{self, Default, Kind, Setting, Shape};
use crate::source::{FileId, Loc, SourceMap};
use crate::syntax::Parsed;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Builtin,
    Spec { loc: Loc, layer: Layer },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    Library,
    EnvironmentDefaults,
    Template(String),
    Ensemble,
    Environment,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub value: Value,
    pub origin: Origin,
    pub is_final: bool,
}

/// All leaves of one ensemble or environment after composition.
pub type Leaves = BTreeMap<LeafKey, Resolved>;

#[derive(Debug)]
pub struct Ensemble {
    pub name: String,
    pub loc: Loc,
    pub leaves: Leaves,
    /// The paths of leaves whose value failed to parse (and was reported). They fall back to
    /// the built-in defaults so the model can be built, but a semantic check reading them would
    /// judge a value the user never wrote, so such checks are skipped.
    pub invalid: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Environment {
    pub name: String,
    pub loc: Loc,
    pub leaves: Leaves,
    pub ensembles: Vec<Ensemble>,
}

/// Imports may be chained at most this deep (a policy library imported by a base library
/// imported by an environment is depth 3).
pub const MAX_IMPORT_DEPTH: usize = 16;

// ---------------------------------------------------------------------------------------------
// What each file declares.

struct Named {
    name: String,
    loc: Loc,
    extends: Option<(String, Loc)>,
    block: Block,
}

struct Import {
    /// Normalised path relative to the specs directory; `None` when it escapes (reported).
    rel: Option<String>,
    loc: Loc,
}

struct EnvDecl {
    name: String,
    loc: Loc,
    imports: Vec<Import>,
    defaults: Block,
    settings: Block,
    ensembles: Vec<Named>,
}

#[derive(Default)]
struct FileItems {
    imports: Vec<Import>,
    defaults: Block,
    templates: Vec<Named>,
    environments: Vec<EnvDecl>,
}

impl FileItems {
    fn is_library(&self) -> bool {
        self.environments.is_empty()
    }
}

pub fn resolve(sources: &SourceMap, parsed: &Parsed, diags: &mut Diagnostics) -> Vec<Environment> {
    let ids: Vec<FileId> = sources.ids().collect();
    let files: Vec<Option<FileItems>> = par_map(ids, diags, |id, diags| {
        parsed.docs[id.0]
            .as_ref()
            .map(|doc| read_file(id, doc, diags))
    });
    let declared: Vec<(FileId, &EnvDecl)> = files
        .iter()
        .enumerate()
        .flat_map(|(i, items)| {
            items
                .iter()
                .flat_map(move |f| f.environments.iter().map(move |e| (FileId(i), e)))
        })
        .collect();
    duplicate_environments(&declared, diags);
    par_map(declared, diags, |(file, env), diags| {
        resolve_environment(sources, &files, file, env, diags)
    })
}

/// ZK0016 across files: one environment name declared twice (a copied `staging.kdl`) would
/// produce two Argo CD Applications or Flux Kustomizations of one name that overwrite each other.
fn duplicate_environments(declared: &[(FileId, &EnvDecl)], diags: &mut Diagnostics) {
    let mut first_of: BTreeMap<&str, Loc> = BTreeMap::new();
    for (_, env) in declared {
        if let Some(first) = first_of.insert(&env.name, env.loc) {
            duplicate(diags, "environment", &env.name, env.loc, first);
            first_of.insert(&env.name, first);
        }
    }
}

fn read_file(file: FileId, doc: &KdlDocument, diags: &mut Diagnostics) -> FileItems {
    let mut items = FileItems::default();
    let mut template_names: BTreeMap<String, Loc> = BTreeMap::new();
    let has_environment = doc
        .nodes()
        .iter()
        .any(|n| n.name().value() == "environment");
    for node in doc.nodes() {
        let mut reader = Reader { file, diags };
        match node.name().value() {
            "environment" => {
                if let Some(env) = read_environment(&mut reader, node) {
                    items.environments.push(env);
                }
            }
            "template" => {
                if let Some(t) =
                    read_named(&mut reader, node, "template", schema::ENSEMBLE_SETTINGS)
                {
                    if let Some(first) = template_names.insert(t.name.clone(), t.loc) {
                        duplicate(reader.diags, "template", &t.name, t.loc, first);
                    }
                    items.templates.push(t);
                }
            }
            "import" | "defaults" if has_environment => misplaced(
                reader.diags,
                file,
                node,
                "a file that declares an environment is not a library",
                "move it inside the `environment` block",
            ),
            "import" => items.imports.extend(read_imports(&mut reader, node)),
            "defaults" => {
                if let Some(children) = block_of(&mut reader, node) {
                    reader.block(
                        schema::ENSEMBLE_SETTINGS,
                        "",
                        children,
                        &[],
                        &mut items.defaults,
                    );
                }
            }
            "ensemble" => misplaced(
                reader.diags,
                file,
                node,
                "an ensemble belongs to an environment",
                "put it inside `environment \"NAME\" { … }`, or make it a `template` to share it",
            ),
            other => reader.diags.push(
                Diagnostic::new(
                    Code::UnknownNode,
                    format!("unknown top-level node `{other}`"),
                )
                .at(file, node.name().span(), "not valid at the top level")
                .help(unknown_name_help(other, schema::TOP_LEVEL_NODES)),
            ),
        }
    }
    items
}

fn read_environment(reader: &mut Reader, node: &KdlNode) -> Option<EnvDecl> {
    let (name, loc) = name_arg(reader, node, "environment")?;
    reject_props(reader, node, "environment", &[]);
    let mut env = EnvDecl {
        name,
        loc,
        imports: Vec::new(),
        defaults: Vec::new(),
        settings: Vec::new(),
        ensembles: Vec::new(),
    };
    let children = block_of(reader, node)?;
    let mut ensemble_names: BTreeMap<String, Loc> = BTreeMap::new();
    for child in children.nodes() {
        match child.name().value() {
            "import" => env.imports.extend(read_imports(reader, child)),
            "defaults" => {
                if let Some(block) = block_of(reader, child) {
                    reader.block(schema::ENSEMBLE_SETTINGS, "", block, &[], &mut env.defaults);
                }
            }
            "ensemble" => {
                if let Some(e) = read_named(reader, child, "ensemble", schema::ENSEMBLE_SETTINGS) {
                    if let Some(first) = ensemble_names.insert(e.name.clone(), e.loc) {
                        reader.diags.push(
                            Diagnostic::new(
                                Code::DuplicateEnsemble,
                                format!("ensemble `{}` is defined twice", e.name),
                            )
                            .at_loc(e.loc, "second definition")
                            .at_loc(first, "first definition")
                            .help("give each ensemble of a namespace its own name"),
                        );
                    }
                    env.ensembles.push(e);
                }
            }
            _ => {}
        }
    }
    reader.block(
        schema::ENVIRONMENT_SETTINGS,
        "",
        children,
        &["import", "defaults", "ensemble"],
        &mut env.settings,
    );
    Some(env)
}

/// `template "NAME" [extends="T"] { … }` and `ensemble "NAME" [extends="T"] [{ … }]`.
fn read_named(
    reader: &mut Reader,
    node: &KdlNode,
    what: &str,
    table: &'static [Setting],
) -> Option<Named> {
    let (name, loc) = name_arg(reader, node, what)?;
    reject_props(reader, node, what, &["extends"]);
    let extends = node
        .entries()
        .iter()
        .find(|e| e.name().is_some_and(|n| n.value() == "extends"))
        .and_then(|e| match e.value().as_string() {
            Some(s) => Some((
                s.to_owned(),
                Loc {
                    file: reader.file,
                    span: e.span().into(),
                },
            )),
            None => {
                reader.diags.push(
                    Diagnostic::new(Code::WrongType, "`extends` names a template")
                        .at(reader.file, e.span(), "not a string")
                        .help("write extends=\"TEMPLATE\""),
                );
                None
            }
        });
    let mut block = Vec::new();
    if let Some(children) = node.children() {
        reader.block(table, "", children, &[], &mut block);
    }
    Some(Named {
        name,
        loc,
        extends,
        block,
    })
}

/// `what` with its indefinite article: "an environment", "a template".
fn a(what: &str) -> String {
    let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {what}")
}

fn name_arg(reader: &mut Reader, node: &KdlNode, what: &str) -> Option<(String, Loc)> {
    // `(final)environment "a"` or `ensemble (x)"zk"` would have been ignored: annotations only
    // mean something on settings and their values.
    let annotations = node.ty().map(|t| (t.value(), t.span())).into_iter().chain(
        node.entries()
            .iter()
            .filter_map(|e| e.ty())
            .map(|t| (t.value(), t.span())),
    );
    for (name, span) in annotations {
        reader.diags.push(
            Diagnostic::new(
                Code::UnknownNode,
                format!("type annotation `({name})` on {}", a(what)),
            )
            .at(reader.file, span, "no meaning here")
            .help(format!(
                "remove it: `(final)` pins settings and values, not {} or its name",
                a(what)
            )),
        );
    }
    let args: Vec<_> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .collect();
    match args.as_slice() {
        [only] => match only.value().as_string() {
            Some(s) => Some((
                s.to_owned(),
                Loc {
                    file: reader.file,
                    span: only.span().into(),
                },
            )),
            None => {
                reader.diags.push(
                    Diagnostic::new(
                        Code::WrongType,
                        format!("the name of {} is a string", a(what)),
                    )
                    .at(reader.file, only.span(), "not a string")
                    .help(format!("write {what} \"NAME\"")),
                );
                None
            }
        },
        [] => {
            reader.diags.push(
                Diagnostic::new(Code::MissingValue, format!("{what} without a name"))
                    .at(reader.file, node.name().span(), "name missing")
                    .help(format!("write {what} \"NAME\" {{ … }}")),
            );
            None
        }
        [_, extra, ..] => {
            reader.diags.push(
                Diagnostic::new(Code::WrongArity, format!("{} has one name", a(what)))
                    .at(reader.file, extra.span(), "unexpected value")
                    .help(format!("write {what} \"NAME\" {{ … }}")),
            );
            None
        }
    }
}

fn reject_props(reader: &mut Reader, node: &KdlNode, what: &str, allowed: &[&str]) {
    for e in node.entries() {
        if let Some(name) = e.name().filter(|n| !allowed.contains(&n.value())) {
            let help = if allowed.is_empty() {
                format!("`{what}` takes no properties")
            } else {
                unknown_name_help(name.value(), allowed)
            };
            reader.diags.push(
                Diagnostic::new(
                    Code::UnknownProperty,
                    format!("`{what}` has no property `{}`", name.value()),
                )
                .at(reader.file, name.span(), "unknown property")
                .help(help),
            );
        }
    }
}

fn block_of<'d>(reader: &mut Reader, node: &'d KdlNode) -> Option<&'d KdlDocument> {
    if node.children().is_none() {
        reader.diags.push(
            Diagnostic::new(
                Code::WrongArity,
                format!("`{}` takes a block", node.name().value()),
            )
            .at(reader.file, node.span(), "expected `{ … }`")
            .help(format!("write {} {{ … }}", node.name().value())),
        );
    }
    node.children()
}

fn read_imports(reader: &mut Reader, node: &KdlNode) -> Vec<Import> {
    let mut imports = Vec::new();
    if node.entries().is_empty() {
        reader.diags.push(
            Diagnostic::new(Code::MissingValue, "import without a path")
                .at(reader.file, node.span(), "path missing")
                .help("write import \"lib/base.kdl\" (relative to the specs directory)"),
        );
    }
    for e in node.entries() {
        let loc = Loc {
            file: reader.file,
            span: e.span().into(),
        };
        match (e.name(), e.value().as_string()) {
            (None, Some(path)) => {
                let rel = normalize_import(path);
                if rel.is_none() {
                    reader.diags.push(
                        Diagnostic::new(Code::ImportEscapes, format!("import \"{path}\" leaves the specs directory"))
                            .at_loc(loc, "outside the specs directory")
                            .help("imports are relative to the specs directory and may not use `..` to leave it or start with `/`"),
                    );
                }
                imports.push(Import { rel, loc });
            }
            _ => reader.diags.push(
                Diagnostic::new(Code::WrongType, "import takes file paths")
                    .at_loc(loc, "not a path")
                    .help("write import \"lib/base.kdl\""),
            ),
        }
    }
    imports
}

/// `lib/./base.kdl` → `lib/base.kdl`; `None` for absolute paths and paths that climb out.
fn normalize_import(path: &str) -> Option<String> {
    if path.starts_with('/') || path.starts_with('\\') || path.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn misplaced(diags: &mut Diagnostics, file: FileId, node: &KdlNode, why: &str, help: &str) {
    diags.push(
        Diagnostic::new(
            Code::NotAnEnvironmentItem,
            format!("`{}` is not valid here: {why}", node.name().value()),
        )
        .at(file, node.name().span(), "not valid here")
        .help(help),
    );
}

fn duplicate(diags: &mut Diagnostics, what: &str, name: &str, second: Loc, first: Loc) {
    diags.push(
        Diagnostic::new(
            Code::DuplicateDefinition,
            format!("{what} `{name}` is defined twice"),
        )
        .at_loc(second, "second definition")
        .at_loc(first, "first definition")
        .help(format!("rename or remove one of the two {what}s")),
    );
}

// ---------------------------------------------------------------------------------------------
// Composition.

fn resolve_environment(
    sources: &SourceMap,
    files: &[Option<FileItems>],
    file: FileId,
    env: &EnvDecl,
    diags: &mut Diagnostics,
) -> Environment {
    let libraries = import_closure(sources, files, &env.imports, diags);

    let mut templates: BTreeMap<&str, (FileId, &Named)> = BTreeMap::new();
    for f in std::iter::once(file).chain(libraries.iter().copied()) {
        for t in files[f.0].iter().flat_map(|items| &items.templates) {
            if let Some((other_file, other)) = templates.insert(&t.name, (f, t))
                && other_file != f
            {
                duplicate(diags, "template", &t.name, t.loc, other.loc);
            }
        }
    }

    let library_blocks: Vec<&Block> = libraries
        .iter()
        .filter_map(|f| files[f.0].as_ref())
        .map(|i| &i.defaults)
        .collect();
    let library_layer = merge_layer(&library_blocks, Layer::Library, diags);
    let env_defaults = merge_layer(&[&env.defaults], Layer::EnvironmentDefaults, diags);

    let mut ensembles = Vec::new();
    for decl in &env.ensembles {
        let mut leaves = builtin_leaves(schema::ENSEMBLE_SETTINGS);
        apply(&mut leaves, &library_layer, diags);
        apply(&mut leaves, &env_defaults, diags);
        for template in template_chain(decl, &templates, diags) {
            let layer = merge_layer(
                &[&template.block],
                Layer::Template(template.name.clone()),
                diags,
            );
            apply(&mut leaves, &layer, diags);
        }
        apply(
            &mut leaves,
            &merge_layer(&[&decl.block], Layer::Ensemble, diags),
            diags,
        );
        let invalid = drop_invalid(&mut leaves, schema::ENSEMBLE_SETTINGS);
        ensembles.push(Ensemble {
            name: decl.name.clone(),
            loc: decl.loc,
            leaves,
            invalid,
        });
    }

    let mut leaves = builtin_leaves(schema::ENVIRONMENT_SETTINGS);
    apply(
        &mut leaves,
        &merge_layer(&[&env.settings], Layer::Environment, diags),
        diags,
    );
    drop_invalid(&mut leaves, schema::ENVIRONMENT_SETTINGS);
    Environment {
        name: env.name.clone(),
        loc: env.loc,
        leaves,
        ensembles,
    }
}

/// The libraries an environment imports, directly or through other libraries, in the order
/// first reached. Missing files, escapes, cycles and environment files are reported.
fn import_closure(
    sources: &SourceMap,
    files: &[Option<FileItems>],
    imports: &[Import],
    diags: &mut Diagnostics,
) -> Vec<FileId> {
    let mut reached = Vec::new();
    let mut stack = Vec::new();
    visit_imports(sources, files, imports, &mut stack, &mut reached, diags);
    reached
}

fn visit_imports(
    sources: &SourceMap,
    files: &[Option<FileItems>],
    imports: &[Import],
    stack: &mut Vec<FileId>,
    reached: &mut Vec<FileId>,
    diags: &mut Diagnostics,
) {
    for import in imports {
        let Some(rel) = &import.rel else { continue };
        if sources.is_link(rel) {
            diags.push(
                Diagnostic::new(
                    Code::ImportEscapes,
                    format!("\"{rel}\" is a symbolic link; zkc does not follow links"),
                )
                .at_loc(import.loc, "a link")
                .help("copy the library into the specs directory instead of linking to it"),
            );
            continue;
        }
        let Some(target) = sources.find(rel) else {
            let known: Vec<&str> = sources
                .ids()
                .map(|id| sources.get(id).rel.as_str())
                .collect();
            diags.push(
                Diagnostic::new(
                    Code::ImportMissing,
                    format!("cannot import \"{rel}\": no such spec file"),
                )
                .at_loc(import.loc, "not found")
                .help(unknown_name_help(rel, &known)),
            );
            continue;
        };
        if let Some(pos) = stack.iter().position(|f| *f == target) {
            let cycle: Vec<&str> = stack[pos..]
                .iter()
                .chain([&target])
                .map(|f| sources.get(*f).rel.as_str())
                .collect();
            diags.push(
                Diagnostic::new(
                    Code::ImportCycle,
                    format!("import cycle: {}", cycle.join(" → ")),
                )
                .at_loc(import.loc, "closes the cycle")
                .help("move what both files need into a library that neither imports back"),
            );
            continue;
        }
        let Some(items) = &files[target.0] else {
            continue;
        };
        if !items.is_library() {
            diags.push(
                Diagnostic::new(Code::ImportNotLibrary, format!("\"{rel}\" declares an environment and cannot be imported"))
                    .at_loc(import.loc, "not a library")
                    .help("move the shared settings into a library (a file without `environment`) and import that"),
            );
            continue;
        }
        if stack.len() >= MAX_IMPORT_DEPTH {
            diags.push(
                Diagnostic::new(
                    Code::ImportCycle,
                    format!("imports nest deeper than {MAX_IMPORT_DEPTH} files"),
                )
                .at_loc(import.loc, "too deep")
                .help("flatten the chain of libraries"),
            );
            continue;
        }
        if reached.contains(&target) {
            continue;
        }
        reached.push(target);
        stack.push(target);
        visit_imports(sources, files, &items.imports, stack, reached, diags);
        stack.pop();
    }
}

/// The templates an ensemble extends, base first.
fn template_chain<'a>(
    decl: &'a Named,
    templates: &BTreeMap<&str, (FileId, &'a Named)>,
    diags: &mut Diagnostics,
) -> Vec<&'a Named> {
    let mut chain: Vec<&Named> = Vec::new();
    let mut next = decl.extends.as_ref();
    while let Some((name, loc)) = next {
        let Some((_, template)) = templates.get(name.as_str()) else {
            let known: Vec<&str> = templates.keys().copied().collect();
            diags.push(
                Diagnostic::new(Code::UnknownTemplate, format!("unknown template `{name}`"))
                    .at_loc(*loc, "no such template")
                    .help(if known.is_empty() {
                        "no templates are visible here; define one with `template \"NAME\" { … }` or import the library that has it".to_owned()
                    } else {
                        unknown_name_help(name, &known)
                    }),
            );
            break;
        };
        if chain.iter().any(|t| std::ptr::eq(*t, *template)) {
            diags.push(
                Diagnostic::new(
                    Code::TemplateCycle,
                    format!(
                        "template `{name}` extends itself through {} step(s)",
                        chain.len()
                    ),
                )
                .at_loc(*loc, "closes the cycle")
                .help("one template of the chain must not extend the others"),
            );
            break;
        }
        chain.push(template);
        next = template.extends.as_ref();
    }
    chain.reverse();
    chain
}

/// Merges the blocks of one layer. Two definitions of one leaf that disagree are a conflict.
fn merge_layer(
    blocks: &[&Block],
    layer: Layer,
    diags: &mut Diagnostics,
) -> Vec<(LeafKey, Def, Layer)> {
    let mut merged: BTreeMap<&LeafKey, &Def> = BTreeMap::new();
    for block in blocks {
        for (key, def) in block.iter() {
            match merged.get(key) {
                // A value that failed to parse is reported already; no conflict on top of it.
                Some(first)
                    if first.value != def.value
                        && first.value != Value::Invalid
                        && def.value != Value::Invalid =>
                {
                    let (a, b) = if first.loc <= def.loc {
                        (*first, def)
                    } else {
                        (def, *first)
                    };
                    diags.push(
                        Diagnostic::new(Code::Conflict, format!("conflicting definitions of `{key}`: {} and {}", a.value, b.value))
                            .at_loc(b.loc, format!("`{key}` = {}", b.value))
                            .at_loc(a.loc, format!("`{key}` = {}", a.value))
                            .help("both are in the same layer, so neither wins: remove one, or set the value in a higher layer (environment defaults, a template or the ensemble)"),
                    );
                }
                Some(_) => {}
                None => {
                    merged.insert(key, def);
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|(k, d)| (k.clone(), d.clone(), layer.clone()))
        .collect()
}

/// Applies a higher layer over what is resolved so far.
fn apply(leaves: &mut Leaves, layer: &[(LeafKey, Def, Layer)], diags: &mut Diagnostics) {
    for (key, def, layer) in layer {
        // Restating a final value changes nothing, and `explain` keeps crediting the pin.
        if leaves
            .get(key)
            .is_some_and(|c| c.is_final && c.value == def.value)
        {
            continue;
        }
        // The layer that pins a setting may still set its properties (one node, one layer). A
        // value that failed to parse is reported already: it replaces the pin without a word.
        if def.value != Value::Invalid
            && let Some((pin_key, pin)) = pinned_by(leaves, key)
            && leaves.get(key).map(|c| &c.value) != Some(&def.value)
            && !matches!(&pin.origin, Origin::Spec { layer: pinned_in, .. } if pinned_in == layer)
        {
            if let Origin::Spec { loc, .. } = &pin.origin {
                let what = if &pin_key == key {
                    format!("`{key}` is final and cannot be changed to {}", def.value)
                } else {
                    format!(
                        "`{key}` cannot be changed to {}: `{pin_key}` is final, with all its properties",
                        def.value
                    )
                };
                diags.push(
                    Diagnostic::new(Code::FinalOverride, what)
                        .at_loc(def.loc, "overrides the final value")
                        .at_loc(*loc, format!("pinned to {} here", pin.value))
                        .help("a library marked this setting (final); keep it, or change the policy library"),
                );
            }
            continue;
        }
        let origin = Origin::Spec {
            loc: def.loc,
            layer: layer.clone(),
        };
        let is_final = def.is_final || leaves.get(key).is_some_and(|c| c.is_final);
        leaves.insert(
            key.clone(),
            Resolved {
                value: def.value.clone(),
                origin,
                is_final,
            },
        );
    }
}

/// The final leaf that pins `key`: the leaf itself, or the setting it is a property of. A
/// `(final)` setting pins the whole setting, so `spread (final)"required"` also fixes
/// `spread topology-key=`.
fn pinned_by<'a>(leaves: &'a Leaves, key: &LeafKey) -> Option<(LeafKey, &'a Resolved)> {
    let mut candidate = key.clone();
    loop {
        if let Some(found) = leaves.get(&candidate).filter(|r| r.is_final) {
            return Some((candidate, found));
        }
        let (parent, _) = candidate.path.rsplit_once('.')?;
        candidate = LeafKey::new(parent.to_owned());
    }
}

/// Replaces leaves whose value failed to parse by their built-in default (or removes them);
/// returns their paths.
fn drop_invalid(leaves: &mut Leaves, table: &[Setting]) -> BTreeSet<String> {
    let invalid: Vec<LeafKey> = leaves
        .iter()
        .filter(|(_, r)| r.value == Value::Invalid)
        .map(|(k, _)| k.clone())
        .collect();
    if invalid.is_empty() {
        return BTreeSet::new();
    }
    let builtins = builtin_leaves(table);
    let paths = invalid.iter().map(|k| k.path.clone()).collect();
    for key in invalid {
        match builtins.get(&key) {
            Some(builtin) => leaves.insert(key, builtin.clone()),
            None => leaves.remove(&key),
        };
    }
    paths
}

/// The built-in default of every leaf that has one.
pub fn builtin_leaves(table: &[Setting]) -> Leaves {
    let mut leaves = Leaves::new();
    collect_builtins(table, "", &mut leaves);
    leaves
}

fn collect_builtins(table: &[Setting], prefix: &str, out: &mut Leaves) {
    fn put(out: &mut Leaves, path: String, kind: Kind, default: Default) {
        if let Some(value) = default_value(kind, default) {
            out.insert(
                LeafKey::new(path),
                Resolved {
                    value,
                    origin: Origin::Builtin,
                    is_final: false,
                },
            );
        }
    }
    for setting in table {
        let path = format!("{prefix}{}", setting.name);
        match setting.shape {
            Shape::Value(kind) | Shape::List(kind) => put(out, path, kind, setting.default),
            Shape::Props { arg, props } => {
                if let Some((_, kind)) = arg {
                    put(out, path.clone(), kind, setting.default);
                }
                for p in props {
                    put(out, format!("{path}.{}", p.name), p.kind, p.default);
                }
            }
            Shape::Block(inner) => collect_builtins(inner, &format!("{path}."), out),
            Shape::Map | Shape::Records { .. } | Shape::Items { .. } => {}
        }
    }
}

fn default_value(kind: Kind, default: Default) -> Option<Value> {
    Some(match default {
        Default::Unset | Default::Derived(_) => return None,
        Default::Int(i) => Value::Int(i),
        Default::Bool(b) => Value::Bool(b),
        Default::Str(s) if matches!(kind, Kind::Cpu | Kind::Bytes { .. }) => {
            Value::Quantity(crate::quantity::Quantity::parse(s)?)
        }
        Default::Str(s) => Value::Str(s.to_owned()),
        Default::List(l) => Value::List(l.iter().map(|s| (*s).to_owned()).collect()),
    })
}
