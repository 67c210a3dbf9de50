//! Reading a policy directory that someone may be writing to right now.
//!
//! A file rewritten in place is first truncated, then written: a reader in
//! between sees it empty (which is a valid policy with no rules) or cut
//! short. So a directory is only taken when two reads, `settle` apart,
//! agree (and no file event came meanwhile, see the worker), and never
//! while a served file is empty; otherwise it is retried after the next
//! quiet period. A writer that pauses mid-file, past the empty state, for
//! longer than that cannot be told from a finished one: deployers must
//! rename complete files into place (docs/embedding.md).

use std::sync::Arc;
use std::time::Duration;

use super::source::Source;
use crate::policy::{LoadError, Policy};
use crate::source::SourceFile;

/// How many times a changing directory is re-read (each after a quiet
/// period) before the round gives up and waits for the next trigger.
pub(crate) const TRIES: u32 = 10;

/// The gap between the two reads of a round: a quarter of the debounce.
pub(crate) fn settle(debounce: Duration) -> Duration {
    debounce / 4
}

/// One read of the directories, comparable with another.
pub(crate) type Read = Result<Vec<SourceFile>, LoadError>;

/// What a read found, for comparing two reads: every name and text, or the
/// error (its message and each located error's place and message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fingerprint {
    /// The files read: layer, name, text.
    Files(Vec<(usize, Arc<str>, Arc<str>)>),
    /// Why it could not be read.
    Error(String),
}

/// The fingerprint of a read.
pub(crate) fn fingerprint(read: &Read) -> Fingerprint {
    match read {
        Ok(files) => Fingerprint::Files(
            files
                .iter()
                .map(|f| (f.layer, f.name.clone(), f.text.clone()))
                .collect(),
        ),
        Err(e) => {
            let mut key = e.to_string();
            for d in e.diagnostics() {
                key.push('\n');
                key.push_str(&format!("{}: {d}", d.location()));
            }
            Fingerprint::Error(key)
        }
    }
}

/// Whether two reads saw the same names and texts.
pub(crate) fn same_files(a: &[SourceFile], b: &[SourceFile]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.layer == y.layer && x.name == y.name && x.text == y.text)
}

/// Reads every layer twice, `settle` apart: the second read if both agree,
/// else `None` (someone is writing).
pub(crate) fn read_twice(source: &Source, settle: Duration) -> Option<Read> {
    let first = source.read();
    std::thread::sleep(settle);
    let second = source.read();
    (fingerprint(&first) == fingerprint(&second)).then_some(second)
}

/// The initial load: the same stable read as a reload, retried `TRIES`
/// times; a directory that never holds still is loaded as last read (the
/// caller must start with something, and a torn file most likely fails).
pub(crate) fn load(source: &Source, debounce: Duration) -> Result<Policy, LoadError> {
    for _ in 1..TRIES {
        if let Some(read) = read_twice(source, settle(debounce)) {
            return source.compile(read?);
        }
        std::thread::sleep(debounce);
    }
    source.compile(source.read()?)
}

/// Whether `next` drops more than half of the providers `serving` has: far
/// more often a truncated or half-deployed file than an intent.
pub(crate) fn removes_most(serving: &Policy, next: &Policy) -> Option<(usize, usize)> {
    let before: Vec<&str> = serving.providers().collect();
    let kept: Vec<&str> = next.providers().collect();
    let removed = before.iter().filter(|p| !kept.contains(p)).count();
    (removed * 2 > before.len()).then_some((removed, before.len()))
}

/// A file served with text that is now empty (or only whitespace): what an
/// in-place rewrite looks like between its truncation and its write, for as
/// long as the writer takes (seconds, under disk pressure). Such a set is
/// never loaded: to disable a file, delete it.
pub(crate) fn emptied<'a>(serving: &Policy, next: &'a Policy) -> Option<&'a str> {
    next.files()
        .iter()
        .find(|f| {
            f.text.trim().is_empty()
                && serving
                    .files()
                    .iter()
                    .any(|s| s.name == f.name && !s.text.trim().is_empty())
        })
        .map(|f| f.name.as_ref())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::super::source::Base;
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::parse("a.policy", text).unwrap()
    }

    fn providers(names: &[&str]) -> Policy {
        let text: String = names
            .iter()
            .map(|n| format!("provider \"{n}\" {{\n  match host == \"{n}.test\"\n}}\n"))
            .collect();
        policy(&text)
    }

    #[test]
    fn removing_more_than_half_of_the_providers_is_suspicious() {
        let abc = providers(&["a", "b", "c"]);
        assert_eq!(removes_most(&abc, &providers(&["a"])), Some((2, 3)));
        assert_eq!(removes_most(&abc, &policy("")), Some((3, 3)));
        assert_eq!(removes_most(&abc, &providers(&["a", "b"])), None);
        assert_eq!(removes_most(&abc, &providers(&["a", "b", "c", "d"])), None);
        assert_eq!(removes_most(&providers(&["a"]), &policy("")), Some((1, 1)));
        assert_eq!(removes_most(&policy(""), &policy("")), None);
    }

    #[test]
    fn a_file_emptied_is_suspicious() {
        let one =
            Policy::from_sources([("a.policy", "set x = \"1\"\n"), ("b.policy", "")]).unwrap();
        let emptied_a = Policy::from_sources([("a.policy", ""), ("b.policy", "")]).unwrap();
        assert_eq!(emptied(&one, &emptied_a), Some("a.policy"));
        assert_eq!(emptied(&emptied_a, &one), None);
        assert_eq!(emptied(&one, &one), None);
    }

    #[test]
    fn a_directory_that_holds_still_reads_the_same_twice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.policy"), "").unwrap();
        let source = |d: &std::path::Path| Source {
            base: Base::Dir(d.to_path_buf()),
            overlays: Vec::new(),
        };
        let read = read_twice(&source(dir.path()), Duration::from_millis(1)).unwrap();
        assert_eq!(read.unwrap().len(), 1);
        let empty = tempfile::tempdir().unwrap();
        assert!(read_twice(&source(empty.path()), Duration::from_millis(1))
            .unwrap()
            .is_err());
    }
}
