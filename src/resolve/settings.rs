//! Reading a block of settings (`defaults`, `template`, `ensemble`, `environment`) into leaf
//! definitions, following the table in [`crate::schema`]. Every definition keeps its location.

use std::collections::BTreeMap;

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};

use crate::diag::{Code, Diagnostic, Diagnostics, unknown_name_help};
use crate::quantity::{Quantity, QuantityError};
use crate::schema::{Kind, Setting, Shape};
use crate::source::{FileId, Loc};

/// A resolved value. Maps are not values: each map entry is its own leaf, so maps merge key by
/// key while lists and records are replaced whole.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Str(String),
    Bool(bool),
    Quantity(Quantity),
    List(Vec<String>),
    /// A list of records, each property with its own typed value.
    Records(Vec<BTreeMap<String, Value>>),
    /// A list of named items, each with its own settings.
    Items(Vec<Item>),
    /// A value written in the spec that failed to parse (already reported). It takes part in
    /// layering like any value, so it hides what it was meant to replace, and is dropped after
    /// resolution: see [`crate::resolve::Ensemble::has_invalid_values`].
    Invalid,
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bool(b) => write!(f, "#{b}"),
            Value::Quantity(q) => write!(f, "{:?}", q.text),
            Value::List(l) => write!(
                f,
                "{}",
                l.iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Value::Invalid => f.write_str("(invalid)"),
            Value::Items(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let leaves: Vec<String> = i
                            .leaves
                            .iter()
                            .map(|(k, d)| format!("{k}={}", d.value))
                            .collect();
                        format!("{:?} {{ {} }}", i.name, leaves.join(" "))
                    })
                    .collect();
                write!(f, "{{ {} }}", items.join("; "))
            }
            Value::Records(r) => {
                let items: Vec<String> = r
                    .iter()
                    .map(|rec| {
                        rec.iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                write!(f, "{{ {} }}", items.join("; "))
            }
        }
    }
}

/// One named entry of an [`crate::schema::Shape::Items`] setting: `sidecar "backup" { … }`.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    /// The item's name in the spec.
    pub loc: Loc,
    /// Its settings, each with its own location; a setting appears at most once.
    pub leaves: Block,
}

/// Two items are equal when they say the same, wherever they are written: restating a
/// `(final)` list identically is no change, and two equal definitions in one layer no conflict.
impl PartialEq for Item {
    fn eq(&self, other: &Item) -> bool {
        self.name == other.name
            && self.leaves.len() == other.leaves.len()
            && self
                .leaves
                .iter()
                .zip(&other.leaves)
                .all(|((k, a), (l, b))| k == l && a.value == b.value && a.is_final == b.is_final)
    }
}

impl Item {
    /// The definition of one of the item's settings (a dotted path for properties:
    /// `resources.cpu`).
    pub fn get(&self, path: &str) -> Option<&Def> {
        self.leaves
            .iter()
            .find(|(k, _)| k.path == path && k.entry.is_none())
            .map(|(_, d)| d)
    }

    /// The entries of one of the item's map settings, in key order.
    pub fn map(&self, path: &str) -> BTreeMap<String, &Def> {
        self.leaves
            .iter()
            .filter(|(k, _)| k.path == path)
            .filter_map(|(k, d)| Some((k.entry.clone()?, d)))
            .collect()
    }

    pub fn str(&self, path: &str) -> Option<(&str, Loc)> {
        match self.get(path)? {
            Def {
                value: Value::Str(s),
                loc,
                ..
            } => Some((s, *loc)),
            _ => None,
        }
    }

    pub fn bool(&self, path: &str) -> Option<bool> {
        match self.get(path)?.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn list(&self, path: &str) -> Vec<String> {
        match self.get(path).map(|d| &d.value) {
            Some(Value::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether a value of the item (or of an item inside it) failed to parse: reported
    /// already, so rules about what is missing stay quiet.
    pub fn has_invalid(&self) -> bool {
        self.leaves.iter().any(|(_, d)| match &d.value {
            Value::Invalid => true,
            Value::Items(items) => items.iter().any(Item::has_invalid),
            _ => false,
        })
    }

    pub fn items(&self, path: &str) -> &[Item] {
        match self.get(path).map(|d| &d.value) {
            Some(Value::Items(items)) => items,
            _ => &[],
        }
    }
}

/// The address of one leaf: a dotted path of setting and property names (`zoo-cfg.tick-time`,
/// `resources.memory`), plus the key for map entries (`labels` / `team`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LeafKey {
    pub path: String,
    pub entry: Option<String>,
}

impl LeafKey {
    pub fn new(path: impl Into<String>) -> Self {
        LeafKey {
            path: path.into(),
            entry: None,
        }
    }

    pub fn entry(path: impl Into<String>, key: impl Into<String>) -> Self {
        LeafKey {
            path: path.into(),
            entry: Some(key.into()),
        }
    }
}

impl std::fmt::Display for LeafKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.entry {
            Some(e) => write!(f, "{}[{e:?}]", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// One definition of a leaf in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    pub value: Value,
    pub loc: Loc,
    /// Marked `(final)`: higher layers may not change it.
    pub is_final: bool,
}

/// The definitions of one block, in source order.
pub type Block = Vec<(LeafKey, Def)>;

pub struct Reader<'a> {
    pub file: FileId,
    pub diags: &'a mut Diagnostics,
}

impl Reader<'_> {
    /// Reads the nodes of `doc` as settings of `table`, with paths under `prefix`.
    /// `skip` names nodes the caller handles itself.
    pub fn block(
        &mut self,
        table: &'static [Setting],
        prefix: &str,
        doc: &KdlDocument,
        skip: &[&str],
        out: &mut Block,
    ) {
        self.read_block(table, prefix, doc, skip, out, true);
    }

    /// `homes`: an unknown name's help may say where the setting belongs instead (not inside
    /// an item, where every name of the ensemble would be misplaced the same way).
    fn read_block(
        &mut self,
        table: &'static [Setting],
        prefix: &str,
        doc: &KdlDocument,
        skip: &[&str],
        out: &mut Block,
        homes: bool,
    ) {
        for node in doc.nodes() {
            let name = node.name().value();
            if skip.contains(&name) {
                continue;
            }
            match table.iter().find(|s| s.name == name) {
                Some(setting) => self.setting(setting, prefix, node, out),
                None => {
                    let mut valid: Vec<&str> = table.iter().map(|s| s.name).collect();
                    valid.extend_from_slice(skip);
                    let help = match crate::schema::home_of(name).filter(|_| homes) {
                        Some(home) => format!("`{name}` is not valid here: {home}"),
                        None => unknown_name_help(name, &valid),
                    };
                    self.diags.push(
                        Diagnostic::new(Code::UnknownNode, format!("unknown setting `{name}`"))
                            .at(self.file, node.name().span(), "not a setting here")
                            .help(help),
                    );
                }
            }
        }
    }

    fn setting(
        &mut self,
        setting: &'static Setting,
        prefix: &str,
        node: &KdlNode,
        out: &mut Block,
    ) {
        let path = format!("{prefix}{}", setting.name);
        let node_final = self.final_mark(node.ty().map(|t| (t.value(), t.span())));
        let (args, props) = split_entries(node);
        let children = node.children();
        match setting.shape {
            Shape::Value(kind) => {
                if self.no_children(node, setting)
                    & self.no_props(&props, setting)
                    & self.arity(node, &args, 1, 1, setting)
                {
                    self.leaf(out, LeafKey::new(path), args[0], kind, node_final);
                }
            }
            Shape::Props {
                arg,
                props: allowed,
            } => {
                self.no_children(node, setting);
                let max = usize::from(arg.is_some());
                if self.arity(node, &args, 0, max, setting)
                    && let (Some(entry), Some((_, kind))) = (args.first(), arg)
                {
                    self.leaf(out, LeafKey::new(path.clone()), entry, kind, node_final);
                }
                for entry in props {
                    let pname = entry.name().map(|n| n.value()).unwrap_or_default();
                    match allowed.iter().find(|p| p.name == pname) {
                        Some(p) => self.leaf(
                            out,
                            LeafKey::new(format!("{path}.{pname}")),
                            entry,
                            p.kind,
                            node_final,
                        ),
                        None => self.unknown_prop(
                            entry,
                            setting.name,
                            allowed.iter().map(|p| p.name).collect(),
                        ),
                    }
                }
            }
            Shape::List(kind) => {
                if self.no_children(node, setting) & self.no_props(&props, setting) {
                    let mut items = Vec::new();
                    let mut ok = true;
                    for entry in &args {
                        match self.value(entry, kind) {
                            Some(Value::Str(s)) => items.push(s),
                            Some(other) => items.push(other.to_string()),
                            None => ok = false,
                        }
                    }
                    let is_final = node_final || args.iter().any(|e| self.entry_final(e));
                    if ok {
                        out.push((
                            LeafKey::new(path),
                            Def {
                                value: Value::List(items),
                                loc: self.loc(node.span()),
                                is_final,
                            },
                        ));
                    }
                }
            }
            Shape::Map => {
                self.no_children(node, setting);
                for entry in props {
                    let key = entry.name().map(|n| n.value()).unwrap_or_default();
                    self.map_entry(out, &path, key, entry, entry.span(), node_final);
                }
                // The `set "key" "value"` form: one entry per node.
                if !args.is_empty() && self.arity(node, &args, 2, 2, setting) {
                    match args[0].value().as_string() {
                        Some(key) => {
                            self.map_entry(out, &path, key, args[1], node.span(), node_final)
                        }
                        None => self.wrong_type(args[0], "a string key"),
                    }
                }
            }
            Shape::Block(table) => {
                self.no_props(&props, setting);
                if self.arity(node, &args, 0, 0, setting) {
                    match children {
                        Some(doc) => self.block(table, &format!("{path}."), doc, &[], out),
                        None => self.diags.push(
                            Diagnostic::new(
                                Code::WrongArity,
                                format!("`{}` takes a block of settings", setting.name),
                            )
                            .at(self.file, node.span(), "expected `{ … }`")
                            .help(format!("for example: {}", setting.example)),
                        ),
                    }
                }
            }
            Shape::Records {
                item,
                props: allowed,
            } => {
                self.no_props(&props, setting);
                self.arity(node, &args, 0, 0, setting);
                let mut records = Vec::new();
                let mut ok = true;
                for child in children.map(|d| d.nodes()).unwrap_or_default() {
                    if !self.is_item(setting, item, child) {
                        ok = false;
                        continue;
                    }
                    let (child_args, child_props) = split_entries(child);
                    if let Some(a) = child_args.first() {
                        ok = false;
                        self.diags.push(
                            Diagnostic::new(
                                Code::WrongArity,
                                format!("`{item}` takes only properties"),
                            )
                            .at(self.file, a.span(), "unexpected argument")
                            .help(format!("for example: {}", setting.example)),
                        );
                    }
                    let mut record = BTreeMap::new();
                    for entry in child_props {
                        let pname = entry.name().map(|n| n.value()).unwrap_or_default();
                        match allowed.iter().find(|p| p.name == pname) {
                            Some(p) => match self.value(entry, p.kind) {
                                Some(value) => {
                                    record.insert(pname.to_owned(), value);
                                }
                                None => ok = false,
                            },
                            None => {
                                ok = false;
                                self.unknown_prop(
                                    entry,
                                    item,
                                    allowed.iter().map(|p| p.name).collect(),
                                );
                            }
                        }
                    }
                    records.push(record);
                }
                if ok {
                    out.push((
                        LeafKey::new(path),
                        Def {
                            value: Value::Records(records),
                            loc: self.loc(node.span()),
                            is_final: node_final,
                        },
                    ));
                }
            }
            Shape::Items { item, settings } => {
                self.no_props(&props, setting);
                self.arity(node, &args, 0, 0, setting);
                let items = children
                    .map(|d| d.nodes())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|child| self.item(setting, item, settings, child))
                    .collect();
                out.push((
                    LeafKey::new(path),
                    Def {
                        value: Value::Items(items),
                        loc: self.loc(node.span()),
                        is_final: node_final,
                    },
                ));
            }
        }
    }

    /// Whether `child` of a records or items setting is an `item` node; ZK0002 when not.
    fn is_item(&mut self, setting: &Setting, item: &str, child: &KdlNode) -> bool {
        let name = child.name().value();
        if name != item {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownNode,
                    format!("unknown node `{name}` in `{}`", setting.name),
                )
                .at(self.file, child.name().span(), "not valid here")
                .help(unknown_name_help(name, &[item])),
            );
        }
        name == item
    }

    /// One `item "name" prop=… { … }` of an items setting; None when it is not one (reported).
    fn item(
        &mut self,
        setting: &'static Setting,
        item: &str,
        settings: &'static [Setting],
        child: &KdlNode,
    ) -> Option<Item> {
        if !self.is_item(setting, item, child) {
            return None;
        }
        let (args, props) = split_entries(child);
        let name = match args.as_slice() {
            [only] => match only.value().as_string() {
                Some(name) => (name.to_owned(), self.loc(only.span())),
                None => {
                    self.wrong_type(only, "a string: the name");
                    return None;
                }
            },
            _ => {
                self.diags.push(
                    Diagnostic::new(Code::WrongArity, format!("`{item}` takes one name"))
                        .at(self.file, child.span(), "expected one string argument")
                        .help(format!("for example: {}", setting.example)),
                );
                return None;
            }
        };
        let mut leaves = Block::new();
        for entry in props {
            let pname = entry.name().map(|n| n.value()).unwrap_or_default();
            match settings
                .iter()
                .find(|s| s.name == pname)
                .and_then(single_value)
            {
                Some(kind) => self.leaf(&mut leaves, LeafKey::new(pname), entry, kind, false),
                None => {
                    let valid = settings
                        .iter()
                        .filter(|s| single_value(s).is_some())
                        .map(|s| s.name)
                        .collect();
                    self.unknown_prop(entry, item, valid);
                }
            }
        }
        if let Some(doc) = child.children() {
            self.read_block(settings, "", doc, &[], &mut leaves, false);
        }
        self.set_once(&leaves);
        Some(Item {
            name: name.0,
            loc: name.1,
            leaves,
        })
    }

    /// ZK0020 for a setting an item states twice (as a property and in its block, or twice
    /// in its block): an item is one layer, so neither could win.
    fn set_once(&mut self, leaves: &Block) {
        for (i, (key, def)) in leaves.iter().enumerate() {
            if let Some((_, first)) = leaves[..i].iter().find(|(k, _)| k == key) {
                self.diags.push(
                    Diagnostic::new(Code::Conflict, format!("`{key}` is set twice"))
                        .at_loc(def.loc, "set again here")
                        .at_loc(first.loc, "first set here")
                        .help("keep one of them"),
                );
            }
        }
    }

    /// One entry of a map setting, located at `span` (the property, or the whole `set` node).
    fn map_entry(
        &mut self,
        out: &mut Block,
        path: &str,
        key: &str,
        entry: &KdlEntry,
        span: miette::SourceSpan,
        node_final: bool,
    ) {
        if let Some(value) = self.map_value(entry) {
            let is_final = node_final || self.entry_final(entry);
            out.push((
                LeafKey::entry(path, key),
                Def {
                    value,
                    loc: self.loc(span),
                    is_final,
                },
            ));
        }
    }

    fn leaf(
        &mut self,
        out: &mut Block,
        key: LeafKey,
        entry: &KdlEntry,
        kind: Kind,
        node_final: bool,
    ) {
        let value = self.value(entry, kind).unwrap_or(Value::Invalid);
        let is_final = node_final || self.entry_final(entry);
        out.push((
            key,
            Def {
                value,
                loc: self.loc(entry.span()),
                is_final,
            },
        ));
    }

    fn loc(&self, span: miette::SourceSpan) -> Loc {
        Loc {
            file: self.file,
            span: span.into(),
        }
    }

    /// Parses one value as `kind`, reporting a diagnostic when it does not fit.
    pub fn value(&mut self, entry: &KdlEntry, kind: Kind) -> Option<Value> {
        self.check_annotation(entry);
        let value = entry.value();
        match (kind, value) {
            (Kind::Int { min, max }, KdlValue::Integer(i)) => {
                if *i < i128::from(min) || *i > i128::from(max) {
                    self.diags.push(
                        Diagnostic::new(Code::OutOfRange, format!("{i} is out of range"))
                            .at(self.file, entry.span(), format!("must be {min}..{max}"))
                            .help(format!("use {}", kind.describe())),
                    );
                    return None;
                }
                Some(Value::Int(*i as i64))
            }
            (Kind::Str, KdlValue::String(s)) => Some(Value::Str(s.clone())),
            (Kind::Bool, KdlValue::Bool(b)) => Some(Value::Bool(*b)),
            (Kind::Choice(choices), KdlValue::String(s)) => {
                if choices.contains(&s.as_str()) {
                    Some(Value::Str(s.clone()))
                } else {
                    self.diags.push(
                        Diagnostic::new(
                            Code::BadChoice,
                            format!("\"{s}\" is not an allowed value"),
                        )
                        .at(self.file, entry.span(), "not allowed")
                        .help(unknown_name_help(s, choices)),
                    );
                    None
                }
            }
            (Kind::Cpu, KdlValue::String(s)) => self.quantity(entry, s, Quantity::cpu),
            (Kind::Cpu, KdlValue::Integer(i)) => {
                self.quantity(entry, &i.to_string(), Quantity::cpu)
            }
            (Kind::Bytes { min_mib }, KdlValue::String(s)) => {
                self.quantity(entry, s, |text| Quantity::bytes(text, min_mib))
            }
            (Kind::Bytes { min_mib }, KdlValue::Integer(i)) => {
                self.quantity(entry, &i.to_string(), |text| Quantity::bytes(text, min_mib))
            }
            _ => {
                self.wrong_type(entry, &kind.describe());
                None
            }
        }
    }

    /// Parses a quantity with `parse`, reporting its error (a typed [`QuantityError`]) at the
    /// entry.
    fn quantity(
        &mut self,
        entry: &KdlEntry,
        text: &str,
        parse: impl Fn(&str) -> Result<Quantity, QuantityError>,
    ) -> Option<Value> {
        match parse(text) {
            Ok(q) => Some(Value::Quantity(q)),
            Err(error) => {
                self.diags.push(
                    Diagnostic::new(error.code(), error.message(text))
                        .at(self.file, entry.span(), error.label())
                        .help(error.help(text)),
                );
                None
            }
        }
    }

    fn map_value(&mut self, entry: &KdlEntry) -> Option<Value> {
        self.check_annotation(entry);
        match entry.value() {
            KdlValue::String(s) => Some(Value::Str(s.clone())),
            KdlValue::Integer(i) => Some(Value::Str(i.to_string())),
            KdlValue::Bool(b) => Some(Value::Str(b.to_string())),
            _ => {
                self.wrong_type(entry, "a string");
                None
            }
        }
    }

    fn wrong_type(&mut self, entry: &KdlEntry, expected: &str) {
        let found = match entry.value() {
            KdlValue::String(_) => "a string",
            KdlValue::Integer(_) => "an integer",
            KdlValue::Float(_) => "a decimal number",
            KdlValue::Bool(_) => "a boolean",
            KdlValue::Null => "#null",
        };
        self.diags.push(
            Diagnostic::new(
                Code::WrongType,
                format!("expected {expected}, found {found}"),
            )
            .at(self.file, entry.span(), found.to_string())
            .help(format!("write {expected}")),
        );
    }

    fn unknown_prop(&mut self, entry: &KdlEntry, setting: &str, valid: Vec<&str>) {
        let pname = entry.name().map(|n| n.value()).unwrap_or_default();
        let span = entry.name().map(|n| n.span()).unwrap_or(entry.span());
        let retired = crate::schema::RETIRED_PROPS
            .iter()
            .find(|(s, p, _)| *s == setting && *p == pname);
        let help = if let Some((_, _, instead)) = retired {
            (*instead).to_owned()
        } else if valid.is_empty() {
            format!("`{setting}` takes no properties")
        } else {
            unknown_name_help(pname, &valid)
        };
        self.diags.push(
            Diagnostic::new(
                Code::UnknownProperty,
                format!("`{setting}` has no property `{pname}`"),
            )
            .at(self.file, span, "unknown property")
            .help(help),
        );
    }

    fn no_children(&mut self, node: &KdlNode, setting: &Setting) -> bool {
        match node.children() {
            Some(children) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        format!("`{}` takes no block", setting.name),
                    )
                    .at(self.file, children.span(), "unexpected block")
                    .help(format!("for example: {}", setting.example)),
                );
                false
            }
            None => true,
        }
    }

    fn no_props(&mut self, props: &[&KdlEntry], setting: &Setting) -> bool {
        for p in props {
            self.unknown_prop(p, setting.name, Vec::new());
        }
        props.is_empty()
    }

    fn arity(
        &mut self,
        node: &KdlNode,
        args: &[&KdlEntry],
        min: usize,
        max: usize,
        setting: &Setting,
    ) -> bool {
        if (min..=max).contains(&args.len()) {
            return true;
        }
        let expected = match (min, max) {
            (0, 0) => "no values".to_owned(),
            (a, b) if a == b => format!("{a} value{}", if a == 1 { "" } else { "s" }),
            (a, b) => format!("{a} to {b} values"),
        };
        let span = args.get(max).map(|e| e.span()).unwrap_or(node.span());
        self.diags.push(
            Diagnostic::new(
                Code::WrongArity,
                format!("`{}` takes {expected}, found {}", setting.name, args.len()),
            )
            .at(
                self.file,
                span,
                if args.len() > max {
                    "unexpected value"
                } else {
                    "value missing"
                },
            )
            .help(format!("for example: {}", setting.example)),
        );
        false
    }

    /// Whether an entry is marked `(final)`; other annotations are reported where the value is
    /// read.
    fn entry_final(&self, entry: &KdlEntry) -> bool {
        entry.ty().is_some_and(|t| t.value() == "final")
    }

    fn check_annotation(&mut self, entry: &KdlEntry) {
        if let Some(ty) = entry.ty().filter(|t| t.value() != "final") {
            self.bad_annotation(ty.value(), ty.span());
        }
    }

    fn final_mark(&mut self, ty: Option<(&str, miette::SourceSpan)>) -> bool {
        match ty {
            Some(("final", _)) => true,
            Some((other, span)) => {
                self.bad_annotation(other, span);
                false
            }
            None => false,
        }
    }

    fn bad_annotation(&mut self, name: &str, span: miette::SourceSpan) {
        self.diags.push(
            Diagnostic::new(
                Code::UnknownNode,
                format!("unknown type annotation `({name})`"),
            )
            .at(self.file, span, "unknown annotation")
            .help(unknown_name_help(name, &["final"])),
        );
    }
}

/// The kind of a setting that an item may also write as a property of its node: one value
/// (`secret="s3"`), or the argument of a setting with properties (`image="…"`).
fn single_value(setting: &Setting) -> Option<Kind> {
    match setting.shape {
        Shape::Value(kind) => Some(kind),
        Shape::Props {
            arg: Some((_, kind)),
            ..
        } => Some(kind),
        _ => None,
    }
}

fn split_entries(node: &KdlNode) -> (Vec<&KdlEntry>, Vec<&KdlEntry>) {
    node.entries().iter().partition(|e| e.name().is_none())
}
