//! `Policy`: load, compile and evaluate. The library's front door.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use miette::Diagnostic;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::check;
use crate::compile::{self, Program};
use crate::eval::{apply, callback, Callback, Expectations, Outcome, Request, Trace, Verdict};
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::{self, SyntaxError};

/// Policy files larger than this are refused (the whole provider library is
/// a few dozen kilobytes).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Why a policy could not be loaded.
#[derive(Debug, Error, Diagnostic)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(policy::E020))]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A directory with no `*.policy` file in it.
    #[error("no .policy files in {path}")]
    #[diagnostic(
        code(policy::E021),
        help("policy files end in `.policy`; names starting with `.` are skipped")
    )]
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// One or more files have errors.
    #[error("the policy has {} error{}", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    #[diagnostic(code(policy::E000))]
    Invalid {
        /// Every error found, each located in its file.
        #[related]
        diagnostics: Vec<PolicyDiagnostic>,
    },
}

impl LoadError {
    /// The located diagnostics (empty for I/O errors).
    pub fn diagnostics(&self) -> &[PolicyDiagnostic] {
        match self {
            LoadError::Invalid { diagnostics } => diagnostics,
            _ => &[],
        }
    }
}

/// A compiled, immutable policy. Cheap to share: clone it or put it in an `Arc`.
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    program: Program,
    files: Vec<SourceFile>,
    revision: String,
}

impl Policy {
    /// Loads a `.policy` file, or every top-level `*.policy` file of a
    /// directory (by name, byte order; names starting with `.` skipped).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::from_files(read_sources(path.as_ref())?)
    }

    /// Compiles in-memory files `(name, text)`, in the order given.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, LoadError> {
        Self::from_files(
            sources
                .into_iter()
                .map(|(name, text)| SourceFile::new(name, text))
                .collect(),
        )
    }

    /// Compiles one in-memory file.
    pub fn parse(name: &str, text: &str) -> Result<Self, LoadError> {
        Self::from_sources([(name, text)])
    }

    /// The embedded provider library (`policies/` at build time).
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<Policy> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Self::try_builtin().unwrap_or_else(|_| Self::empty()))
            .clone()
    }

    /// The embedded library, or the errors that would make `builtin` empty
    /// (a test keeps this from ever happening in a release).
    pub fn try_builtin() -> Result<Self, LoadError> {
        Self::from_sources(
            crate::builtin::BUILTIN
                .iter()
                .map(|(name, text)| (*name, *text)),
        )
    }

    /// A policy with no rules: every request passes unchanged.
    pub fn empty() -> Self {
        Self::build(Program::default(), Vec::new())
    }

    /// Compiles already-read files: the one path every loader takes.
    pub fn from_files(files: Vec<SourceFile>) -> Result<Self, LoadError> {
        let mut parsed = Vec::with_capacity(files.len());
        let mut diagnostics = Vec::new();
        for file in &files {
            match syntax::parse(&file.text) {
                Ok(ast) => parsed.push((file.clone(), ast)),
                Err(e) => diagnostics.push(PolicyDiagnostic::new(e, file)),
            }
        }
        diagnostics.extend(check::check(&parsed));
        if !diagnostics.is_empty() {
            return Err(LoadError::Invalid { diagnostics });
        }
        let program =
            compile::compile(&parsed).map_err(|diagnostics| LoadError::Invalid { diagnostics })?;
        Ok(Self::build(program, files))
    }

    fn build(program: Program, files: Vec<SourceFile>) -> Self {
        let revision = revision(&files);
        Self {
            inner: Arc::new(Inner {
                program,
                files,
                revision,
            }),
        }
    }

    /// Rewrites a request. Never panics; a request no provider matches still
    /// gets the global rules.
    pub fn apply(&self, req: &Request) -> Outcome {
        apply::apply(&self.inner.program, req, None)
    }

    /// Rewrites a request and records every decision taken.
    pub fn explain(&self, req: &Request) -> (Outcome, Trace) {
        let mut trace = Trace::default();
        let out = apply::apply(&self.inner.program, req, Some(&mut trace));
        (out, trace)
    }

    /// Classifies a callback. Never panics; every input gets a verdict.
    pub fn classify(&self, callback: &Callback, expect: &Expectations) -> Verdict {
        callback::classify(&self.inner.program, callback, expect, None)
    }

    /// Classifies a callback and records how: the provider candidates (when
    /// chosen by authorize URL), each classify rule tried, the deciding step.
    pub fn explain_callback(&self, callback: &Callback, expect: &Expectations) -> (Verdict, Trace) {
        let mut trace = Trace::default();
        let verdict = callback::classify(&self.inner.program, callback, expect, Some(&mut trace));
        (verdict, trace)
    }

    /// A content hash of the loaded files (names within their directory, and
    /// texts): equal policies have equal revisions, wherever the directory is.
    pub fn revision(&self) -> &str {
        &self.inner.revision
    }

    /// The loaded files, in load order.
    pub fn files(&self) -> &[SourceFile] {
        &self.inner.files
    }

    /// Provider names, in load order.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.inner.program.providers.iter().map(|p| p.name.as_str())
    }

    /// The compiled program (for tools such as `policyc explain`).
    pub fn program(&self) -> &Program {
        &self.inner.program
    }
}

/// Reads the files a path names: itself, or a directory's `*.policy` files.
pub fn read_sources(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        return Ok(vec![read_file(path)?]);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_policy_file(p))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    paths.iter().map(|p| read_file(p)).collect()
}

/// A top-level `*.policy` file that is not hidden (follows symlinks, so a
/// Kubernetes `..data` swap is seen through).
pub fn is_policy_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.') && name.ends_with(".policy") && p.is_file()
}

fn read_file(path: &Path) -> Result<SourceFile, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    if bytes.len() > MAX_FILE_BYTES {
        let file = SourceFile::new(name, "");
        let err = SyntaxError::TooLarge {
            size: bytes.len(),
            limit: MAX_FILE_BYTES,
        };
        return Err(LoadError::Invalid {
            diagnostics: vec![PolicyDiagnostic::new(err, &file)],
        });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = SourceFile::new(name, text);
            let err = SyntaxError::NotUtf8 {
                span: (at, 1).into(),
            };
            Err(LoadError::Invalid {
                diagnostics: vec![PolicyDiagnostic::new(err, &file)],
            })
        }
    }
}

/// Hashes each file's name within its directory, not its full path, so
/// replicas serving the same files from different mount points agree (a
/// directory load only reads top-level files, so that name is the relative one).
fn revision(files: &[SourceFile]) -> String {
    let mut hash = Sha256::new();
    for f in files {
        let name = Path::new(f.name.as_ref())
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&f.name);
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((f.text.len() as u64).to_le_bytes());
        hash.update(f.text.as_bytes());
    }
    let digest = hash.finalize();
    let mut out = String::with_capacity(16);
    for b in digest.iter().take(8) {
        let _ = write!(out, "{b:02x}");
    }
    out
}
