//! The reference pages are generated from the compiler's own tables; these tests fail when the
//! committed pages are stale (`ZKC_BLESS=1 cargo test --test docs` regenerates them).

use std::path::Path;

fn assert_fresh(rel: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("ZKC_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{rel} is stale: run `ZKC_BLESS=1 cargo test --test docs`"
    );
}

#[test]
fn diagnostics_catalogue_is_fresh() {
    assert_fresh("docs/diagnostics.md", zkc::docs::diagnostics_catalogue());
}

#[test]
fn spec_reference_is_fresh() {
    assert_fresh("docs/spec-reference.md", zkc::docs::spec_reference());
}

/// Every setting the parser accepts appears in the reference.
#[test]
fn spec_reference_is_complete() {
    let page = zkc::docs::spec_reference();
    fn walk(settings: &[zkc::schema::Setting], page: &str) {
        for s in settings {
            assert!(
                page.contains(&format!("`{}`", s.name)),
                "{} is missing",
                s.name
            );
            match s.shape {
                zkc::schema::Shape::Block(inner) => walk(inner, page),
                zkc::schema::Shape::Props { props, .. }
                | zkc::schema::Shape::Records { props, .. } => {
                    for p in props {
                        assert!(
                            page.contains(&format!("`{}=`", p.name)),
                            "{}.{} is missing",
                            s.name,
                            p.name
                        );
                    }
                }
                _ => {}
            }
        }
    }
    walk(zkc::schema::ENSEMBLE_SETTINGS, &page);
    walk(zkc::schema::ENVIRONMENT_SETTINGS, &page);
}
