//! Guard on the module layers (issue #11): reads this crate's `src/`, builds the graph
//! of module dependencies at the granularity of core's top-level modules (and of the
//! submodules of [`SPLIT`] modules, such as `tasks::manager`), and fails when the graph
//! has a cycle, printing it with the paths that make each edge. On success it prints
//! the layers, leaves first (`cargo test -p switchyard-core layering -- --nocapture`).
//!
//! What makes an edge `a → b`: a `crate::b…` path or a `super::…` path resolving into
//! `b`, anywhere in `a`'s code that is compiled outside tests. Modules and items under
//! `#[cfg(test)]` are skipped: test fixtures may reach across layers. A parent's edges
//! into its own submodules (declaring them, re-exporting from them) are not counted —
//! the parent is their facade — but a submodule naming `super::X`, where the parent
//! imports `X` from a sibling, depends on that sibling.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Top-level modules whose submodules are nodes of their own.
const SPLIT: &[&str] = &["tasks"];

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// `::`
    Sep,
    P(char),
}

/// Tokens of Rust source, without comments; literals other than strings are dropped.
fn tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (ch == 'r' || ch == 'b') && raw_string_start(&c, i).is_some() {
            let (hashes, body) = raw_string_start(&c, i).unwrap();
            let mut j = body;
            let end = loop {
                if j >= c.len() {
                    break c.len();
                }
                if c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    break j;
                }
                j += 1;
            };
            out.push(Tok::Str(c[body..end].iter().collect()));
            i = end + 1 + hashes;
        } else if ch == '"' {
            let mut s = String::new();
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    i += 1;
                }
                s.push(at(i));
                i += 1;
            }
            out.push(Tok::Str(s));
            i += 1;
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // An escaped char literal: skip to its closing quote.
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or label: its name follows as an identifier.
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(c[start..i].iter().collect()));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Tok::Sep);
            i += 2;
        } else {
            out.push(Tok::P(ch));
            i += 1;
        }
    }
    out
}

/// If a raw (byte) string starts at `i`: its number of `#` and where its body starts.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = c[j..].iter().take_while(|ch| **ch == '#').count();
    j += hashes;
    (c.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// One `crate::…` or `super::…` path, as written, and the module it is written in.
#[derive(Debug, Clone, PartialEq)]
struct PathRef {
    segments: Vec<String>,
    /// The module the path is written in (to resolve `super`), from the crate root.
    module: Vec<String>,
}

/// What one file says about dependencies.
#[derive(Debug, Default)]
struct Scan {
    /// `crate::…` and `super::…` paths outside test code.
    paths: Vec<PathRef>,
    /// Outline submodules declared outside test code: name and `#[path]`.
    children: Vec<(String, Option<String>)>,
    /// Names imported by a `use` from a submodule: name → submodule.
    imports: HashMap<String, String>,
}

fn is(t: Option<&Tok>, s: &str) -> bool {
    matches!(t, Some(Tok::Ident(x)) if x == s)
}

/// The end (exclusive) of the bracketed group opening at `i`.
fn group_end(t: &[Tok], i: usize) -> usize {
    let mut depth = 0i32;
    let mut j = i;
    while j < t.len() {
        match t[j] {
            Tok::P('(' | '[' | '{') => depth += 1,
            Tok::P(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    t.len()
}

/// The end (exclusive) of the item starting at `i` (after its attributes).
fn item_end(t: &[Tok], i: usize) -> usize {
    let mut j = i;
    while j < t.len() {
        match t[j] {
            Tok::P(';') => return j + 1,
            Tok::P('{') => return group_end(t, j),
            Tok::P('(' | '[') => j = group_end(t, j),
            _ => j += 1,
        }
    }
    t.len()
}

/// Whether `t[i..]` is the attribute `#[cfg(test)]` (or `#![cfg(test)]`).
fn cfg_test(t: &[Tok], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if t.get(j) == Some(&Tok::P('!')) {
        j += 1;
    }
    let want = [
        Tok::P('['),
        Tok::Ident("cfg".into()),
        Tok::P('('),
        Tok::Ident("test".into()),
        Tok::P(')'),
        Tok::P(']'),
    ];
    (t.get(i) == Some(&Tok::P('#')) && t.get(j..j + want.len()) == Some(&want[..]))
        .then_some(j + want.len())
}

/// Parse a use tree or path at `i`, prefixed by `prefix`; returns every leaf path with
/// the name it binds, and where the tree ends.
fn tree(t: &[Tok], mut i: usize, mut prefix: Vec<String>) -> (Vec<(Vec<String>, String)>, usize) {
    loop {
        match t.get(i) {
            Some(Tok::Ident(name)) if name == "self" && !prefix.is_empty() => {
                let bound = prefix.last().cloned().unwrap_or_default();
                return (vec![(prefix, bound)], i + 1);
            }
            Some(Tok::Ident(name)) => {
                prefix.push(name.clone());
                i += 1;
                if t.get(i) == Some(&Tok::Sep) {
                    i += 1;
                    continue;
                }
                let mut bound = name.clone();
                if is(t.get(i), "as")
                    && let Some(Tok::Ident(alias)) = t.get(i + 1)
                {
                    bound = alias.clone();
                    i += 2;
                }
                return (vec![(prefix, bound)], i);
            }
            Some(Tok::P('{')) => {
                let mut all = Vec::new();
                i += 1;
                while i < t.len() && t[i] != Tok::P('}') {
                    if t[i] == Tok::P(',') {
                        i += 1;
                        continue;
                    }
                    let (paths, next) = tree(t, i, prefix.clone());
                    all.extend(paths);
                    i = next.max(i + 1);
                }
                return (all, i + 1);
            }
            _ => return (vec![(prefix, "*".into())], i),
        }
    }
}

/// Scan one file of module `module`.
fn scan(src: &str, module: &[String]) -> Scan {
    let t = tokens(src);
    let mut out = Scan::default();
    // Inline modules open at a brace depth.
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut path_attr: Option<String> = None;
    let mut i = 0;
    while i < t.len() {
        if let Some(after) = cfg_test(&t, i) {
            if t.get(i + 1) == Some(&Tok::P('!')) {
                return Scan::default();
            }
            let mut j = after;
            while t.get(j) == Some(&Tok::P('#')) {
                j = group_end(&t, j + 1);
            }
            i = item_end(&t, j);
            path_attr = None;
            continue;
        }
        match &t[i] {
            Tok::P('#') => {
                // An attribute: remember a `#[path = "…"]` for the next `mod`.
                let open = if t.get(i + 1) == Some(&Tok::P('!')) {
                    i + 2
                } else {
                    i + 1
                };
                if is(t.get(open + 1), "path")
                    && let Some(Tok::Str(p)) = t.get(open + 3)
                {
                    path_attr = Some(p.clone());
                }
                i = group_end(&t, open);
                continue;
            }
            Tok::P('{') => depth += 1,
            Tok::P('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let Some(Tok::Ident(name)) = t.get(i + 1) {
                    match t.get(i + 2) {
                        Some(Tok::P(';')) if inline.is_empty() => {
                            out.children.push((name.clone(), path_attr.take()));
                        }
                        Some(Tok::P('{')) => {
                            inline.push((name.clone(), depth));
                            depth += 1;
                            i += 3;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Tok::Ident(kw) if kw == "use" && inline.is_empty() => {
                let (paths, _) = tree(&t, i + 1, Vec::new());
                for (segments, bound) in paths {
                    let first = match segments.first().map(String::as_str) {
                        Some("self") => segments.get(1),
                        _ => segments.first(),
                    };
                    if let Some(first) = first {
                        out.imports.insert(bound, first.clone());
                    }
                }
            }
            Tok::Ident(root)
                if (root == "crate" || root == "super")
                    && t.get(i + 1) == Some(&Tok::Sep)
                    && t.get(i.wrapping_sub(1)) != Some(&Tok::P('$')) =>
            {
                let (paths, next) = tree(&t, i, Vec::new());
                let mut here = module.to_vec();
                here.extend(inline.iter().map(|(name, _)| name.clone()));
                for (segments, _) in paths {
                    out.paths.push(PathRef {
                        segments,
                        module: here.clone(),
                    });
                }
                i = next;
                continue;
            }
            _ => {}
        }
        if matches!(t[i], Tok::P(';' | '{' | '}')) {
            path_attr = None;
        }
        i += 1;
    }
    // `imports` only matter from the parent's own `use` of its submodules.
    let children: BTreeSet<&String> = out.children.iter().map(|(n, _)| n).collect();
    out.imports.retain(|_, from| children.contains(from));
    out
}

/// A module's file and what it says.
struct File {
    module: Vec<String>,
    scan: Scan,
}

/// Every file compiled outside tests, reached from `lib.rs` by `mod` declarations.
fn discover(src: &Path) -> Vec<File> {
    let mut files = Vec::new();
    let mut todo: Vec<(PathBuf, Vec<String>)> = vec![(src.join("lib.rs"), Vec::new())];
    while let Some((path, module)) = todo.pop() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .unwrap();
        let scan = scan(&text, &module);
        let dir = path.parent().unwrap_or(src).to_path_buf();
        let is_mod_rs = matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("lib.rs" | "mod.rs")
        );
        // A non-mod.rs file's submodules live in the folder named after it.
        let child_dir = if is_mod_rs {
            dir.clone()
        } else {
            dir.join(path.file_stem().unwrap_or_default())
        };
        for (name, attr) in &scan.children {
            let file = match attr {
                Some(p) => dir.join(p),
                None if child_dir.join(format!("{name}.rs")).exists() => {
                    child_dir.join(format!("{name}.rs"))
                }
                None => child_dir.join(name).join("mod.rs"),
            };
            let mut child = module.clone();
            child.push(name.clone());
            todo.push((file, child));
        }
        files.push(File { module, scan });
    }
    files
}

/// Modules that all depend on each other, and one cycle through them.
#[derive(Debug, PartialEq)]
struct Tangle {
    members: Vec<String>,
    cycle: Vec<String>,
}

/// Module dependencies, with the paths that make each edge.
struct Graph {
    nodes: BTreeSet<String>,
    edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

impl Graph {
    fn of(files: &[File]) -> Self {
        let top: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.module.len() == 1)
            .map(|f| f.module[0].as_str())
            .collect();
        let facade = |name: &str| files.iter().find(|f| f.module == [name.to_string()]);
        let node = |abs: &[String]| -> Option<String> {
            let first = abs.first()?;
            if !top.contains(first.as_str()) {
                return None;
            }
            if !SPLIT.contains(&first.as_str()) {
                return Some(first.clone());
            }
            let parent = facade(first)?;
            let Some(second) = abs.get(1) else {
                return Some(first.clone());
            };
            if parent.scan.children.iter().any(|(n, _)| n == second) {
                return Some(format!("{first}::{second}"));
            }
            Some(match parent.scan.imports.get(second) {
                Some(child) => format!("{first}::{child}"),
                None => first.clone(),
            })
        };
        let mut graph = Graph {
            nodes: BTreeSet::new(),
            edges: BTreeMap::new(),
        };
        for file in files {
            let Some(from) = node(&file.module) else {
                continue;
            };
            graph.nodes.insert(from.clone());
            for path in &file.scan.paths {
                let mut abs = path.module.clone();
                let mut rest = path.segments.as_slice();
                match rest.first().map(String::as_str) {
                    Some("crate") => {
                        abs.clear();
                        rest = &rest[1..];
                    }
                    _ => {
                        while rest.first().map(String::as_str) == Some("super") {
                            abs.pop();
                            rest = &rest[1..];
                        }
                    }
                }
                abs.extend(rest.iter().cloned());
                let Some(to) = node(&abs) else { continue };
                if to == from || to.starts_with(&format!("{from}::")) {
                    continue;
                }
                graph
                    .edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(format!(
                        "{} uses {}",
                        file.module.join("::"),
                        path.segments.join("::")
                    ));
            }
        }
        graph
    }

    fn of_crate() -> Self {
        Self::of(&discover(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        ))
    }

    fn deps(&self, node: &str) -> impl Iterator<Item = &String> {
        self.edges.get(node).into_iter().flat_map(|m| m.keys())
    }

    /// Nodes `from` reaches through at least one edge.
    fn reach(&self, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = self.deps(from).collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n.clone()) {
                todo.extend(self.deps(n));
            }
        }
        seen
    }

    /// Each tangle (strongly connected set) of modules, with its shortest cycle
    /// through the first of them (the first node repeated at the end).
    fn cycles(&self) -> Vec<Tangle> {
        let reach: BTreeMap<&String, BTreeSet<String>> =
            self.nodes.iter().map(|n| (n, self.reach(n))).collect();
        let mut done = BTreeSet::new();
        let mut out = Vec::new();
        for start in &self.nodes {
            if done.contains(start) || !reach[start].contains(start) {
                continue;
            }
            let tangle: BTreeSet<&String> = reach[start]
                .iter()
                .filter(|n| reach[*n].contains(start))
                .filter_map(|n| self.nodes.get(n))
                .collect();
            done.extend(tangle.iter().map(|n| (*n).clone()));
            // The shortest way back to `start`, breadth first inside the tangle.
            let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            while let Some(at) = queue.pop_front() {
                for dep in self.deps(at).filter(|d| tangle.contains(d)) {
                    if !came_from.contains_key(dep) {
                        came_from.insert(dep, at);
                        queue.push_back(dep);
                    }
                }
                if came_from.contains_key(start) {
                    break;
                }
            }
            let mut cycle = vec![start.clone()];
            let mut at = start;
            while let Some(prev) = came_from.get(at) {
                cycle.push((*prev).clone());
                at = prev;
                if at == start {
                    break;
                }
            }
            cycle.reverse();
            out.push(Tangle {
                members: tangle.into_iter().cloned().collect(),
                cycle,
            });
        }
        out
    }

    /// A tangle's cycle, then every edge among its members with the paths behind it.
    fn explain(&self, tangle: &Tangle) -> String {
        let mut out = format!(
            "module cycle: {} (modules that depend on each other: {})\n",
            tangle.cycle.join(" → "),
            tangle.members.join(", ")
        );
        for from in &tangle.members {
            for (to, why) in self.edges.get(from).into_iter().flatten() {
                if tangle.members.contains(to) {
                    out.push_str(&format!("  {from} → {to}:\n"));
                    for why in why {
                        out.push_str(&format!("    {why}\n"));
                    }
                }
            }
        }
        out
    }

    /// Nodes by layer: 0 depends on no other module, n on layers below n only.
    fn layers(&self) -> Vec<Vec<String>> {
        let mut layer: BTreeMap<&str, usize> = BTreeMap::new();
        while layer.len() < self.nodes.len() {
            let before = layer.len();
            for n in &self.nodes {
                if layer.contains_key(n.as_str()) {
                    continue;
                }
                let deps: Option<Vec<usize>> = self
                    .deps(n)
                    .map(|d| layer.get(d.as_str()).copied())
                    .collect();
                if let Some(deps) = deps {
                    layer.insert(n, deps.into_iter().map(|l| l + 1).max().unwrap_or(0));
                }
            }
            if layer.len() == before {
                break;
            }
        }
        let mut out: Vec<Vec<String>> = Vec::new();
        for (n, l) in layer {
            if out.len() <= l {
                out.resize(l + 1, Vec::new());
            }
            out[l].push(n.to_string());
        }
        out
    }
}

#[test]
fn core_modules_form_layers() {
    let graph = Graph::of_crate();
    for must in [
        "registry",
        "routing",
        "health",
        "tasks::manager",
        "tasks::poller",
    ] {
        assert!(graph.nodes.contains(must), "the guard lost module {must}");
    }
    let cycles = graph.cycles();
    let explanation: String = cycles.iter().map(|c| graph.explain(c)).collect();
    assert!(cycles.is_empty(), "{explanation}");
    for (i, layer) in graph.layers().iter().enumerate() {
        #[expect(
            clippy::print_stdout,
            reason = "the layer map is this test's report (--nocapture)"
        )]
        {
            println!("layer {i}: {}", layer.join(", "));
        }
    }
}

#[test]
fn the_guard_finds_a_cycle_through_super_and_reexports() {
    let file = |module: &[&str], src: &str| {
        let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
        File {
            scan: scan(src, &module),
            module,
        }
    };
    let files = [
        file(&[], "pub mod a; pub mod tasks; pub mod c;"),
        file(
            &["a"],
            "/* crate::c */ use crate::{tasks::Thing as T, c::{self}}; fn f() { let s = \"crate::c\"; }",
        ),
        file(
            &["tasks"],
            "mod one; mod two; pub use one::Thing; #[cfg(test)] mod three;",
        ),
        file(&["tasks", "one"], "use super::two::X; pub struct Thing;"),
        file(
            &["tasks", "two"],
            "use super::Thing; #[cfg(test)] mod tests { use crate::c; }",
        ),
        file(&["c"], "fn g() { crate::a::f(); }"),
    ];
    let graph = Graph::of(&files);
    let deps = |n: &str| graph.deps(n).cloned().collect::<Vec<_>>();
    assert_eq!(deps("a"), ["c", "tasks::one"]);
    assert_eq!(deps("tasks::two"), ["tasks::one"]);
    assert_eq!(deps("tasks"), Vec::<String>::new());
    let cycles = graph.cycles();
    let found: Vec<&[String]> = cycles.iter().map(|t| t.cycle.as_slice()).collect();
    assert_eq!(
        found,
        [["a", "c", "a"], ["tasks::one", "tasks::two", "tasks::one"]]
    );
    assert!(graph.explain(&cycles[0]).contains("c uses crate::a::f"));
}
