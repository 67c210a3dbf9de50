//! `L006` provider blocks whose matches overlap, and `L007` provider blocks
//! no test case names.

use std::collections::{HashMap, HashSet};

use super::logic::{Facts, Logic, Tri};
use super::{Raw, L006, L007};
use crate::compile::host_index::{conjunct_key, host_key, HostKey};
use crate::syntax::ast::{Cond, CondKind, File, Item, Provider};

struct Block<'a> {
    file: usize,
    provider: &'a Provider,
    /// How its `match` constrains the host, as the host index sees it.
    key: HostKey,
    /// The `match` parts other than the host test.
    rest: Vec<&'a Cond>,
}

pub(super) fn lint(
    trees: &[(usize, &File)],
    tested: Option<&HashSet<String>>,
    logic: &Logic<'_>,
    out: &mut Vec<Raw>,
    over_budget: &mut super::reach::Budget,
) {
    let mut seen = HashSet::new();
    let mut blocks = Vec::new();
    for &(file, tree) in trees {
        for item in &tree.items {
            let Item::Provider(p) = item else { continue };
            if let Some(tested) = tested {
                if !tested.contains(&p.name.node) {
                    out.push(
                        Raw::new(&L007, file, p.name.span, format!("provider `{}` has no test case", p.name.node))
                            .label("no case names this provider")
                            .help(format!(
                                "add a case with \"provider\": \"{}\" to a tests/*.json file beside the policy (see docs/testing.md)",
                                p.name.node
                            )),
                    );
                }
            }
            // A duplicate name is already E012; compare each name once.
            if seen.insert(p.name.node.as_str()) {
                blocks.push(block(logic, file, p));
            }
        }
    }
    overlaps(logic, &blocks, out, over_budget);
}

fn block<'a>(logic: &Logic<'_>, file: usize, p: &'a Provider) -> Block<'a> {
    let parts: Vec<&Cond> = match &p.matcher.node {
        CondKind::And(parts) => parts.iter().collect(),
        _ => vec![&p.matcher],
    };
    // Each part lowered as the loader does, keyed as the index keys it.
    let keys: Vec<HostKey> = parts.iter().map(|c| host_key(&logic.lower(c))).collect();
    let chosen = conjunct_key(&keys);
    let key = chosen
        .and_then(|i| keys.get(i))
        .cloned()
        .unwrap_or(HostKey::Any);
    let rest = parts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != chosen)
        .map(|(_, c)| c)
        .collect();
    Block {
        file,
        provider: p,
        key,
        rest,
    }
}

/// How many blocks of the same host group one block is compared with.
const MAX_PEERS: usize = 256;

fn overlaps(
    logic: &Logic<'_>,
    blocks: &[Block<'_>],
    out: &mut Vec<Raw>,
    over_budget: &mut super::reach::Budget,
) {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    let mut any = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        match &b.key {
            HostKey::Exact(hosts) => {
                for h in hosts {
                    let g = groups.entry(format!("={h}")).or_default();
                    if g.last() != Some(&i) {
                        g.push(i);
                    }
                }
            }
            HostKey::Pattern(p) => groups.entry(format!("~{p}")).or_default().push(i),
            HostKey::Any => any.push(i),
        }
    }
    let mut keys: Vec<&String> = groups.keys().collect();
    keys.sort();
    let mut reported = HashSet::new();
    let mut check = |group: &[usize], what: &str| {
        for (x, &i) in group.iter().enumerate() {
            // Each block is compared with a bounded number of later blocks
            // of its group, so thousands of blocks on one host stay linear.
            if group.len() > x + 1 + MAX_PEERS {
                if let Some(b) = blocks.get(i) {
                    over_budget.push((b.file, b.provider.matcher.span));
                }
            }
            for &j in group.iter().skip(x + 1).take(MAX_PEERS) {
                let (Some(a), Some(b)) = (blocks.get(i), blocks.get(j)) else {
                    continue;
                };
                if !reported.insert((i, j)) {
                    continue;
                }
                if let Some(raw) = overlap(logic, a, b, what) {
                    out.push(raw);
                }
            }
        }
    };
    for k in keys {
        if let Some(group) = groups.get(k) {
            let what = match k.split_at(1) {
                ("=", h) => format!("requests to `{h}`"),
                (_, p) => format!("hosts matching `{p}`"),
            };
            check(group, &what);
        }
    }
    check(&any, "requests to any host");
}

/// `a` is loaded before `b` and shares `b`'s host tier and key.
fn overlap(logic: &Logic<'_>, a: &Block<'_>, b: &Block<'_>, what: &str) -> Option<Raw> {
    let facts = Facts::default();
    let covers = |x: &[&Cond], y: &[&Cond]| {
        x.iter().all(|xc| {
            logic.eval(xc, &facts) == Tri::True || y.iter().any(|yc| logic.implies(yc, xc))
        })
    };
    let (an, bn) = (&a.provider.name.node, &b.provider.name.node);
    let b_in_a = covers(&a.rest, &b.rest);
    let a_in_b = covers(&b.rest, &a.rest);
    if !b_in_a && !a_in_b {
        return None;
    }
    let whole = match (&a.key, &b.key) {
        (HostKey::Exact(ha), HostKey::Exact(hb)) => hb.iter().all(|h| ha.contains(h)),
        _ => true,
    };
    let (message, help) = if b_in_a && whole {
        (
            format!("provider `{bn}` can never match: `{an}` takes every request it matches"),
            format!("`{an}` is loaded first and its `match` admits all of `{bn}`'s; narrow `{an}`'s `match` (e.g. with a `path` condition) or merge the blocks"),
        )
    } else if b_in_a {
        (
            format!("provider `{bn}` overlaps `{an}`: for {what}, `{an}` takes every request `{bn}` matches"),
            "the first block loaded wins; tell them apart with a `path` condition or merge the blocks".to_string(),
        )
    } else {
        (
            format!("provider `{bn}` overlaps `{an}`: for {what}, both match some requests"),
            format!("`{an}` is loaded first and takes the requests both match; if that is intended, add `# policyc: ignore[L006]`, else tell them apart with a `path` condition"),
        )
    };
    Some(
        Raw::new(&L006, b.file, b.provider.matcher.span, message)
            .label("overlapping `match`")
            .related(
                a.file,
                a.provider.matcher.span,
                format!("`{an}` matches here first"),
            )
            .help(help),
    )
}
