//! serde_yaml writes YAML 1.2, where `on`, `yes`, `1_000`, `1:30` and `<<` are plain strings,
//! and leaves them unquoted. Kubernetes tools read YAML 1.1 (`sigs.k8s.io/yaml` over go-yaml
//! v2: kubectl, kustomize, Argo CD, Flux), where the same text is a boolean, a number or a merge
//! key: a label `team: on` becomes `true`, and `kubectl kustomize` refuses a whole directory
//! with a `<<` key. This pass quotes every plain scalar a YAML 1.1 reader would not read back as
//! the same string.
//!
//! It works on serde_yaml's own output, whose shape is fixed: one `key: value`, `- value` or
//! `key:` per line, block scalars (`|`) only for multi-line strings, and strings that YAML 1.2
//! would misread already quoted. Numbers and booleans zkc emits as such (`replicas: 3`,
//! `readOnly: true`) are YAML 1.2 core forms that YAML 1.1 reads the same way, so they stay.

/// Quotes the YAML-1.1-ambiguous plain scalars of a serde_yaml document.
pub(crate) fn quote_ambiguous(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 16);
    // The indentation of the key that opened a block scalar; its content lines are deeper.
    let mut block_at: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim_end_matches('\n');
        if let Some(at) = block_at {
            if indent > at || content.trim().is_empty() {
                out.push_str(line);
                continue;
            }
            block_at = None;
        }
        let (fixed, opens_block) = quote_line(content, indent);
        if opens_block {
            block_at = Some(indent);
        }
        out.push_str(&fixed);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// One line: `[- ]*key: value`, `[- ]*key:` or `[- ]*value`. Returns the line with its plain
/// key and value quoted where needed, and whether it opens a block scalar.
fn quote_line(line: &str, indent: usize) -> (String, bool) {
    let mut rest = &line[indent..];
    let mut out = line[..indent].to_owned();
    while let Some(after) = rest.strip_prefix("- ") {
        out.push_str("- ");
        rest = after;
    }
    let (key, value) = split_key(rest);
    if let Some(key) = key {
        out.push_str(&scalar(key));
        out.push(':');
        if let Some(value) = value {
            out.push(' ');
            out.push_str(&scalar(value));
        }
    } else {
        out.push_str(&scalar(rest));
    }
    let opens_block = value
        .or(key.is_none().then_some(rest))
        .is_some_and(|v| v.starts_with('|') || v.starts_with('>'));
    (out, opens_block)
}

/// Splits `key: value` / `key:`; `None` as key for a bare sequence item.
fn split_key(text: &str) -> (Option<&str>, Option<&str>) {
    let key_end = match text.chars().next() {
        Some(q @ ('\'' | '"')) => quoted_end(text, q),
        _ => text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1)),
    };
    match key_end {
        Some(end) if text[end..].starts_with(": ") => (Some(&text[..end]), Some(&text[end + 2..])),
        Some(end) if &text[end..] == ":" => (Some(&text[..end]), None),
        _ => (None, None),
    }
}

/// The index just past a quoted scalar that starts `text`.
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            ('"', b'\\') => i += 2,
            ('\'', b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            (q, b) if b == q as u8 => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A plain scalar, quoted when YAML 1.1 would read it as something else; anything already
/// quoted, a block indicator or a flow collection (`{}`, `[]`) stays as written.
fn scalar(text: &str) -> String {
    if text.starts_with(['\'', '"', '|', '>', '{', '[']) || !ambiguous_in_yaml11(text) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Whether a YAML 1.1 reader (go-yaml v2's resolve table, the YAML 1.1 type repository:
/// bool, null, int, float, merge, timestamp) reads this plain scalar as anything but the same
/// string, excluding the YAML 1.2 core forms serde_yaml uses for real numbers and booleans.
pub(crate) fn ambiguous_in_yaml11(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF", "True", "TRUE", "False", "FALSE", "~", "null", "Null", "NULL", "<<", "=", ".inf",
        ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    // Plain decimal integers are how serde_yaml writes the numbers zkc emits; YAML 1.1 reads
    // them the same. Every other number form of YAML 1.1 only ever comes from a string.
    let core_int = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('+')
        && (unsigned == "0" || !unsigned.starts_with('0'));
    !core_int && (yaml11_int(unsigned) || yaml11_float(unsigned) || yaml11_timestamp(text))
}

fn all(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(allowed)
}

/// `0b…`, `0x…`, octal `0…`, decimal with `_`, and sexagesimal `1:30` (YAML 1.1 int).
fn yaml11_int(s: &str) -> bool {
    if let Some(bits) = s.strip_prefix("0b") {
        return all(bits, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return all(hex, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    let decimal = |t: &str| all(t, |b| b.is_ascii_digit() || b == b'_');
    let mut parts = s.split(':');
    let first = parts.next().unwrap_or_default();
    let sixties: Vec<&str> = parts.collect();
    decimal(first)
        && first.as_bytes()[0].is_ascii_digit()
        && sixties.iter().all(|p| {
            matches!(p.len(), 1 | 2)
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.as_bytes()[0] <= b'5'
                || p.len() == 1
        })
}

/// `1.5`, `.5`, `1.`, `1.5e+3`, `1:30.5` (YAML 1.1 float; the exponent needs its sign).
fn yaml11_float(s: &str) -> bool {
    let Some((whole, fraction)) = s.split_once('.') else {
        return false;
    };
    let whole_ok = whole.is_empty()
        || yaml11_int(whole) && !whole.starts_with("0b") && !whole.starts_with("0x");
    let (fraction, exponent) = match fraction.find(['e', 'E']) {
        Some(i) => (&fraction[..i], Some(&fraction[i + 1..])),
        None => (fraction, None),
    };
    let fraction_ok = fraction
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_');
    let exponent_ok = exponent.is_none_or(|e| {
        e.strip_prefix(['-', '+'])
            .is_some_and(|d| all(d, |b| b.is_ascii_digit()))
    });
    whole_ok && fraction_ok && exponent_ok && (!whole.is_empty() || !fraction.is_empty())
}

/// `2026-11-25`, `2026-11-25T10:00:00Z` (YAML 1.1 timestamp).
fn yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[5..]
            .split(['-', 'T', 't', ' '])
            .take(2)
            .all(|p| matches!(p.len(), 1 | 2) && p.bytes().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_yaml11_misreads() {
        for text in [
            "on",
            "yes",
            "No",
            "1_000",
            "1:30",
            "<<",
            "0b101",
            "017",
            "2026-11-25",
            "1.5",
            "+12",
            "y",
        ] {
            assert!(ambiguous_in_yaml11(text), "{text}");
        }
        for text in [
            "3",
            "2181",
            "zookeeper",
            "team-a",
            "v1.2",
            "0",
            "a1_000",
            "-1",
            "1Gi",
            "500m",
            "v10.0.0.1",
        ] {
            assert!(!ambiguous_in_yaml11(text), "{text}");
        }
    }

    #[test]
    fn quotes_keys_values_and_items_but_not_block_content() {
        let yaml = "metadata:\n  labels:\n    team: on\n    <<: x\n    '1e3': y\n  items:\n  - yes\n  - '1'\ndata:\n  zoo.cfg: |\n    on: yes\n    a=1\n  replicas: 3\nspec: {}\n";
        let expected = "metadata:\n  labels:\n    team: 'on'\n    '<<': x\n    '1e3': 'y'\n  items:\n  - 'yes'\n  - '1'\ndata:\n  zoo.cfg: |\n    on: yes\n    a=1\n  replicas: 3\nspec: {}\n";
        assert_eq!(quote_ambiguous(yaml), expected);
    }

    #[test]
    fn the_result_reads_back_as_the_same_strings() {
        let yaml = "a: on\nb: 1:30\n'c': 'x'\nd: it's\n";
        let fixed = quote_ambiguous(yaml);
        let value: std::collections::BTreeMap<String, String> =
            serde_yaml::from_str(&fixed).unwrap();
        assert_eq!(value["a"], "on");
        assert_eq!(value["b"], "1:30");
        assert_eq!(value["d"], "it's");
    }
}
