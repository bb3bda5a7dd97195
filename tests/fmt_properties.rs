//! `zkc fmt` over generated KDL v2 documents with comments in every place the language allows:
//! own-line, end-of-line and block comments (nested, multi-line) before, after and inside nodes,
//! between entries, around `=`, after `{`, on continued lines; slashdash on nodes, arguments,
//! properties and children blocks; blank lines; `;` terminators and one-line blocks; values of
//! every kind (raw, multi-line, type-annotated).
//!
//! Properties: every comment and slashdashed item is still there, each blank line between two
//! items still separates them, the document means the same (equal after `clear_format`), and
//! formatting is idempotent. 1,000 cases by default (`PROPTEST_CASES` overrides).

use kdl::KdlDocument;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Item {
    Node(Node),
    /// `/- node …`
    Slashed(Node),
    LineComment,
    /// `/* … */` on its own line or before a node on the same line.
    BlockComment(Block),
    Blank,
}

#[derive(Debug, Clone, Copy)]
enum Block {
    Plain,
    Nested,
    MultiLine,
}

#[derive(Debug, Clone)]
struct Node {
    quoted_name: bool,
    entries: Vec<Entry>,
    slashed_children: Option<Vec<Item>>,
    children: Option<Vec<Item>>,
    /// A `// …` after the node on its line.
    end_comment: bool,
    /// `;` after the node.
    semicolon: bool,
    /// The next item follows on the same line (after `;` or for a last item in a block).
    same_line: bool,
}

#[derive(Debug, Clone)]
enum Entry {
    Arg(Value),
    Prop(Value, bool),
    Comment(Block),
    SlashArg(Value),
    SlashProp(Value),
    /// `\` (with a comment after it or not) and the node continues on the next line.
    Continue(bool),
}

#[derive(Debug, Clone)]
enum Value {
    Int(i64),
    Float,
    Hex,
    Quoted,
    Bare,
    Keyword(&'static str),
    Raw,
    MultiLine,
    /// With a type annotation, as in `spread (final)"required"`.
    Typed,
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        Just(Value::Float),
        Just(Value::Hex),
        Just(Value::Quoted),
        Just(Value::Bare),
        prop_oneof![Just("#true"), Just("#false"), Just("#null")].prop_map(Value::Keyword),
        Just(Value::Raw),
        Just(Value::MultiLine),
        Just(Value::Typed),
    ]
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        Just(Block::Plain),
        Just(Block::Nested),
        Just(Block::MultiLine)
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        3 => value().prop_map(Entry::Arg),
        2 => (value(), any::<bool>()).prop_map(|(v, c)| Entry::Prop(v, c)),
        2 => block().prop_map(Entry::Comment),
        1 => value().prop_map(Entry::SlashArg),
        1 => value().prop_map(Entry::SlashProp),
        1 => any::<bool>().prop_map(Entry::Continue),
    ]
}

fn items(depth: u32) -> BoxedStrategy<Vec<Item>> {
    let leaf = prop_oneof![
        Just(Item::LineComment),
        block().prop_map(Item::BlockComment),
        Just(Item::Blank),
    ];
    let node = node(depth);
    prop::collection::vec(
        prop_oneof![
            4 => node.clone().prop_map(Item::Node),
            1 => node.prop_map(Item::Slashed),
            3 => leaf,
        ],
        0..5,
    )
    .boxed()
}

fn node(depth: u32) -> BoxedStrategy<Node> {
    let children = if depth == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.4, items(depth - 1)).boxed()
    };
    let slashed = if depth == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.15, items(depth - 1)).boxed()
    };
    (
        any::<bool>(),
        prop::collection::vec(entry(), 0..5),
        slashed,
        children,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                quoted_name,
                entries,
                slashed_children,
                children,
                end_comment,
                semicolon,
                same_line,
            )| {
                Node {
                    quoted_name,
                    entries,
                    slashed_children,
                    children,
                    end_comment,
                    semicolon,
                    same_line,
                }
            },
        )
        .boxed()
}

/// Renders a document, collecting the text of every comment and slashdashed item and the
/// markers around each blank line.
#[derive(Default)]
struct Render {
    text: String,
    next: usize,
    /// Each comment's whole text, each slashdashed item's marker.
    kept: Vec<String>,
    /// (marker of the item before a blank line, marker of the item after it).
    paragraphs: Vec<(String, String)>,
    spaces: u64,
}

impl Render {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// Some whitespace: one to three spaces or a tab, varied deterministically.
    fn ws(&mut self) -> &'static str {
        self.spaces = self
            .spaces
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        [" ", "  ", "\t", "   "][(self.spaces >> 33) as usize % 4]
    }

    fn block_comment(&mut self, b: Block) -> String {
        let (c, d) = (self.id("c"), self.id("c"));
        let text = match b {
            Block::Plain => format!("/* {c} */"),
            Block::Nested => format!("/* {c} /* {d} */ */"),
            Block::MultiLine => format!("/* {c}\n   {d} */"),
        };
        self.kept.push(text.clone());
        text
    }

    fn value(&mut self, v: &Value, indent: &str) -> String {
        match v {
            Value::Int(i) => i.to_string(),
            Value::Float => "1.5e3".into(),
            Value::Hex => "0x1f".into(),
            Value::Quoted => "\"a // not /* a */ comment\"".into(),
            Value::Bare => "bare-word".into(),
            Value::Keyword(k) => (*k).into(),
            Value::Raw => "#\"raw \"quoted\" /- x\"#".into(),
            Value::MultiLine => format!("\"\"\"\n{indent}  line\n{indent}  \"\"\""),
            Value::Typed => "(final)\"required\"".into(),
        }
    }

    /// Items of one block; the first marker of each item is returned for paragraph checks.
    fn items(&mut self, items: &[Item], indent: &str, in_block: bool) {
        let mut before: Option<String> = None;
        let mut blank = false;
        for (i, item) in items.iter().enumerate() {
            let last = i + 1 == items.len();
            let marker = match item {
                Item::Blank => {
                    self.text.push('\n');
                    blank = true;
                    continue;
                }
                Item::LineComment => {
                    let c = format!("// {}", self.id("c"));
                    self.text.push_str(&format!("{indent}{c}\n"));
                    self.kept.push(c.clone());
                    c
                }
                Item::BlockComment(b) => {
                    let c = self.block_comment(*b);
                    self.text.push_str(&format!("{indent}{c}\n"));
                    c
                }
                Item::Node(n) => self.node(n, indent, "", last && in_block),
                Item::Slashed(n) => {
                    let m = self.node(n, indent, "/- ", last && in_block);
                    self.kept.push(m.clone());
                    m
                }
            };
            if blank && let Some(b) = before.take() {
                self.paragraphs.push((b, marker.clone()));
            }
            blank = false;
            before = Some(marker);
        }
    }

    /// Renders a node; returns its marker (its name).
    fn node(&mut self, n: &Node, indent: &str, prefix: &str, last_in_block: bool) -> String {
        let name = self.id("n");
        // A quoted name also gets a type annotation: `(kind)"n1"`.
        let shown = if n.quoted_name {
            format!("(kind)\"{name}\"")
        } else {
            name.clone()
        };
        let mut line = format!("{indent}{prefix}{shown}");
        for e in &n.entries {
            let ws = self.ws();
            line.push_str(ws);
            let inner = format!("{indent}    ");
            match e {
                Entry::Arg(v) => line.push_str(&self.value(v, &inner)),
                Entry::Prop(v, comment) => {
                    let key = self.id("k");
                    let around = if *comment {
                        format!(" {} ", self.block_comment(Block::Plain))
                    } else {
                        String::new()
                    };
                    line.push_str(&format!("{key}{around}={around}{}", self.value(v, &inner)));
                }
                Entry::Comment(b) => line.push_str(&self.block_comment(*b)),
                Entry::SlashArg(v) => {
                    let m = self.id("s");
                    self.kept.push(format!("/- \"{m}\""));
                    line.push_str(&format!("/- \"{m}\""));
                    let _ = v;
                }
                Entry::SlashProp(v) => {
                    let m = self.id("s");
                    let text = format!("/- {m}={}", self.value(v, &inner));
                    self.kept.push(format!("/- {m}="));
                    line.push_str(&text);
                }
                Entry::Continue(comment) => {
                    line.push('\\');
                    if *comment {
                        let c = format!("// {}", self.id("c"));
                        self.kept.push(c.clone());
                        line.push_str(&format!(" {c}"));
                    }
                    line.push_str(&format!("\n{indent}      "));
                    // Something must follow on the continued line.
                    line.push_str(&self.id("v"));
                }
            }
        }
        let inner = format!("{indent}    ");
        if let Some(children) = &n.slashed_children {
            let m = self.id("s");
            self.kept.push(format!("/-{{ // {m}"));
            line.push_str(&format!(" /-{{ // {m}\n"));
            self.text.push_str(&line);
            self.items(children, &inner, true);
            line = format!("{indent}}}");
        }
        if let Some(children) = &n.children {
            let c = self.id("c");
            self.kept.push(format!("// {c}"));
            line.push_str(&format!(" {{ // {c}\n"));
            self.text.push_str(&line);
            self.items(children, &inner, true);
            line = format!("{indent}}}");
        }
        // The kdl crate refuses `/- node;` (KDL v2 allows it): not generated.
        if n.semicolon && prefix.is_empty() {
            line.push(';');
        }
        if n.end_comment {
            let c = format!("// {}", self.id("c"));
            self.kept.push(c.clone());
            line.push_str(&format!(" {c}"));
        }
        self.text.push_str(&line);
        // A last node in a block may end on the line of the `}` (not after a line comment).
        if n.same_line && last_in_block && !n.end_comment {
            self.text.push(' ');
        } else {
            self.text.push('\n');
        }
        name
    }
}

fn document() -> impl Strategy<Value = (String, Vec<String>, Vec<(String, String)>)> {
    (items(2), any::<u64>()).prop_map(|(items, seed)| {
        let mut r = Render {
            spaces: seed,
            ..Render::default()
        };
        r.items(&items, "", false);
        (r.text, r.kept, r.paragraphs)
    })
}

fn meaning(text: &str) -> KdlDocument {
    let mut doc = KdlDocument::parse_v2(text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    doc.clear_format_recursive();
    doc
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn fmt_keeps_comments_paragraphs_and_meaning((text, kept, paragraphs) in document()) {
        let formatted = zkc::fmt::format(&text)
            .unwrap_or_else(|e| panic!("{e}\n--- input\n{text}"));
        for k in &kept {
            prop_assert_eq!(
                formatted.matches(k.as_str()).count(),
                text.matches(k.as_str()).count(),
                "{:?} lost\n--- input\n{}\n--- formatted\n{}", k, text, formatted
            );
        }
        for token in ["//", "/*", "*/", "/-"] {
            prop_assert_eq!(formatted.matches(token).count(), text.matches(token).count(), "{}", token);
        }
        for (before, after) in &paragraphs {
            let at = formatted.find(after.as_str()).expect("marker kept");
            let line_start = formatted[..at].rfind('\n').map_or(0, |n| n + 1);
            prop_assert!(
                formatted[..line_start].ends_with("\n\n"),
                "the blank line between {} and {} is gone\n--- input\n{}\n--- formatted\n{}",
                before, after, text, formatted
            );
        }
        prop_assert_eq!(meaning(&formatted), meaning(&text));
        prop_assert_eq!(zkc::fmt::format(&formatted).unwrap(), formatted.clone(), "idempotent");
    }
}
