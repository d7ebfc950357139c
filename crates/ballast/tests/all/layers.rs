//! The library's modules point one way: load → estimate → allocate / measure → decide trades →
//! report. Each module may use only modules of lower layers (this test reads the `crate::`
//! paths of the source, comments left out, and fails on one that points up or sideways).

use std::collections::BTreeSet;
use std::path::Path;

/// Lowest first. A module may use the modules of earlier rows only.
const LAYERS: &[&[&str]] = &[
    &["message"],
    &["linalg", "names", "instrument"],
    &["data"],
    &["estimate"],
    &["risk"],
    &["allocate"],
    &["rebalance"],
    &["market"],
    &["pricing"],
    &["book"],
    &["scenario"],
    &["margin"],
    &["hedge"],
    &["backtest", "portfolio", "analysis"],
    &["io"],
    &["error"],
];

fn layer(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

fn uses(path: &Path, out: &mut BTreeSet<String>) {
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            uses(&e.unwrap().path(), out);
        }
        return;
    }
    let text = std::fs::read_to_string(path).unwrap();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(k) = rest.find("crate::") {
            rest = &rest[k + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    let mut seen = 0;
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        if name == "lib" {
            continue;
        }
        let Some(own) = layer(&name) else {
            panic!("module '{name}' is not in LAYERS: give it a layer");
        };
        seen += 1;
        let mut used = BTreeSet::new();
        uses(&p, &mut used);
        for u in used {
            // `crate::Result`, `crate::Error`, `crate::SymMatrix` and constants are the façade's
            let Some(l) = layer(&u) else { continue };
            if u != name && l >= own {
                bad.push(format!("{name} (layer {own}) uses {u} (layer {l})"));
            }
        }
    }
    assert!(seen >= 15);
    assert!(
        bad.is_empty(),
        "upward or sideways module edges:\n{}",
        bad.join("\n")
    );
}
