//! `Policy`: load, compile and evaluate. The library's front door.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use miette::Diagnostic;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::compile::Program;
use crate::eval::{
    apply, callback, Callback, ExpectationError, Expectations, Outcome, Request, Trace, Verdict,
};
use crate::source::{PolicyDiagnostic, SourceFile};
use crate::syntax::SyntaxError;

/// Policy files larger than this are refused. The whole provider library is
/// a few dozen kilobytes; parsing, checking and linting cost about 0.8 s per
/// MiB here, so a hostile file at the limit still loads in about a second.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Why a policy could not be loaded.
#[derive(Debug, Error, Diagnostic)]
#[non_exhaustive]
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
    /// A path that is neither a regular file nor a directory: reading a
    /// FIFO blocks until someone writes, a device may never end.
    #[error("cannot read {path}: it is a {kind}, not a regular file")]
    #[diagnostic(
        code(policy::E020),
        help("a policy is a regular `.policy` file or a directory of them")
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead: `named pipe (FIFO)`, `socket`, `device`…
        kind: &'static str,
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
///
/// Loading is where every error is found (with a miette diagnostic per
/// problem); evaluating a loaded policy cannot fail.
///
/// ```
/// use oauth_policy::Policy;
///
/// let policy = Policy::parse(
///     "idp.policy",
///     r#"provider "idp" {
///   match host == "login.idp.example"
///   authorize {
///     drop resource if scope
///   }
/// }"#,
/// )?;
/// assert_eq!(policy.providers().collect::<Vec<_>>(), ["idp"]);
/// # Ok::<(), oauth_policy::LoadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    program: Program,
    files: Vec<SourceFile>,
    layers: Vec<Layer>,
    revision: String,
}

/// One layer of a policy: the base (the shipped library or a directory),
/// then each overlay in the order added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Layer {
    /// `builtin`, or the path the layer was loaded from.
    pub name: String,
    /// A content hash of the layer's files, like [`Policy::revision`].
    pub revision: String,
    /// How many `.policy` files it has.
    pub files: usize,
}

impl Policy {
    /// Loads a `.policy` file, or every top-level `*.policy` file of a
    /// directory (by name, byte order; names starting with `.` skipped).
    ///
    /// A file that does not load is an error listing every diagnostic:
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("oauth-policy-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(dir.join("bad.policy"), "provider \"x\" {\n  match host ~ \"[\"\n}\n")?;
    /// let err = oauth_policy::Policy::load(&dir).unwrap_err();
    /// let first = &err.diagnostics()[0];
    /// assert_eq!(first.code_str(), "policy::E013"); // an invalid regex
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let files = read_sources(path.as_ref())?;
        Self::compile_layers(files, vec![layer_name(path.as_ref())])
    }

    /// This policy with an overlay directory (or file) on top: its files may
    /// add providers and global rules, and `extend provider "…"` blocks that
    /// add matches and rules to this policy's providers or switch their named
    /// rules on and off. The result is compiled as a whole; `self` is unchanged.
    ///
    /// ```
    /// use oauth_policy::{Policy, Request};
    /// let overlay = r#"extend provider "auth0" { also match host == "login.acme.com" }"#;
    /// let policy = Policy::builtin().with_overlay_sources("acme", [("acme.policy", overlay)])?;
    /// let req = Request::authorize("https://login.acme.com/authorize?client_id=c&response_type=code")?;
    /// assert_eq!(policy.apply(&req).provider(), Some("auth0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_overlay(&self, path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let files = read_overlay(path.as_ref())?;
        self.layered(files, layer_name(path.as_ref()))
    }

    /// Like [`Policy::with_overlay`], from in-memory files `(name, text)`;
    /// `layer` names the overlay in [`Policy::layers`].
    pub fn with_overlay_sources<'a>(
        &self,
        layer: &str,
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, LoadError> {
        let files = sources
            .into_iter()
            .map(|(name, text)| SourceFile::new(name, text))
            .collect();
        self.layered(files, layer.to_string())
    }

    fn layered(&self, overlay: Vec<SourceFile>, name: String) -> Result<Self, LoadError> {
        let layer = self.inner.layers.len();
        let mut files = self.inner.files.clone();
        files.extend(overlay.into_iter().map(|f| f.in_layer(layer)));
        let mut names: Vec<String> = self.inner.layers.iter().map(|l| l.name.clone()).collect();
        names.push(name);
        Self::compile_layers(files, names)
    }

    /// The layers, base first.
    pub fn layers(&self) -> &[Layer] {
        &self.inner.layers
    }

    /// The layer a file (by its name in diagnostics and locations) was loaded in.
    pub fn layer_of(&self, file: &str) -> Option<&Layer> {
        let f = self.inner.files.iter().find(|f| &*f.name == file)?;
        self.inner.layers.get(f.layer)
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
        let files = crate::builtin::BUILTIN
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text))
            .collect();
        Self::compile_layers(files, vec!["builtin".into()])
    }

    /// A policy with no rules: every request passes unchanged.
    pub fn empty() -> Self {
        Self::build(Program::default(), Vec::new(), vec!["empty".into()])
    }

    /// Compiles already-read files as one layer.
    pub fn from_files(files: Vec<SourceFile>) -> Result<Self, LoadError> {
        Self::compile_layers(files, vec!["sources".into()])
    }

    /// Compiles already-read layers, base first: each `(name, files)` pair
    /// is one layer (the name shows in [`Policy::layers`]). What
    /// [`Policy::with_overlay`] does in one step, for callers that read the
    /// files themselves (a daemon checking that a directory holds still).
    pub fn from_layers(
        layers: impl IntoIterator<Item = (String, Vec<SourceFile>)>,
    ) -> Result<Self, LoadError> {
        let mut names = Vec::new();
        let mut files = Vec::new();
        for (i, (name, layer)) in layers.into_iter().enumerate() {
            names.push(name);
            files.extend(layer.into_iter().map(|f| f.in_layer(i)));
        }
        Self::compile_layers(files, names)
    }

    /// Compiles files tagged with their layers (`SourceFile::layer` indexes
    /// `layer_names`): the one path every loader takes.
    fn compile_layers(files: Vec<SourceFile>, layer_names: Vec<String>) -> Result<Self, LoadError> {
        let files = crate::analyze::index(files);
        let program = crate::analyze::load(&files)
            .map_err(|diagnostics| LoadError::Invalid { diagnostics })?;
        Ok(Self::build(program, files, layer_names))
    }

    pub(crate) fn build(
        program: Program,
        files: Vec<SourceFile>,
        layer_names: Vec<String>,
    ) -> Self {
        let revision = revision(&files);
        let layers = layer_names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let mine: Vec<SourceFile> =
                    files.iter().filter(|f| f.layer == i).cloned().collect();
                Layer {
                    name,
                    revision: self::revision(&mine),
                    files: mine.len(),
                }
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                program,
                files,
                layers,
                revision,
            }),
        }
    }

    /// Rewrites a request. Never panics; a request no provider matches still
    /// gets the global rules.
    ///
    /// A token request's body is rewritten the same way as an authorize
    /// URL's query; parameters no rule touches stay byte-identical:
    ///
    /// ```
    /// use oauth_policy::{Policy, Request};
    ///
    /// let req = Request::token(
    ///     "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    ///     "grant_type=refresh_token&refresh_token=r&resource=https%3A%2F%2Fapi.example&scope=openid",
    /// )?;
    /// let out = Policy::builtin().apply(&req);
    /// assert_eq!(out.body(), Some("grant_type=refresh_token&refresh_token=r&scope=openid"));
    /// # Ok::<(), oauth_policy::RequestError>(())
    /// ```
    pub fn apply(&self, req: &Request) -> Outcome {
        apply::apply(&self.inner.program, req, None)
    }

    /// Rewrites a request and records every decision taken: which provider
    /// matched and why, and each rule's effect (what `policyc explain`
    /// prints).
    ///
    /// ```
    /// use oauth_policy::{Policy, Request};
    ///
    /// let req = Request::authorize("https://accounts.google.com/o/oauth2/v2/auth?client_id=c")?;
    /// let (out, trace) = Policy::builtin().explain(&req);
    /// assert_eq!(out.provider(), Some("google"));
    /// assert!(!trace.steps.is_empty());
    /// # Ok::<(), oauth_policy::RequestError>(())
    /// ```
    pub fn explain(&self, req: &Request) -> (Outcome, Trace) {
        let mut trace = Trace::default();
        let out = apply::apply(&self.inner.program, req, Some(&mut trace));
        (out, trace)
    }

    /// Classifies a callback. Never panics; every callback gets a verdict
    /// once the expectations fit the policy (a `provider` it does not have
    /// is an [`ExpectationError`], with the closest name as a suggestion).
    ///
    /// ```
    /// use oauth_policy::{Callback, CallbackOutcome, Expectations, Policy};
    ///
    /// let policy = Policy::builtin();
    /// // A form_post callback whose state is not the one sent: invalid.
    /// let cb = Callback::from_form("code=abc&state=forged")?;
    /// let v = policy.classify(&cb, &Expectations::new().with_expected_state("xyz"))?;
    /// assert_eq!(v.outcome, CallbackOutcome::Invalid);
    ///
    /// // A misspelt provider is the caller's error, with a suggestion.
    /// let err = policy
    ///     .classify(&cb, &Expectations::new().with_provider("gogle"))
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("gogle"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn classify(
        &self,
        callback: &Callback,
        expect: &Expectations,
    ) -> Result<Verdict, ExpectationError> {
        callback::classify(&self.inner.program, callback, expect, None)
    }

    /// Classifies a callback and records how: the provider candidates (when
    /// chosen by authorize URL), each classify rule tried, the deciding step.
    pub fn explain_callback(
        &self,
        callback: &Callback,
        expect: &Expectations,
    ) -> Result<(Verdict, Trace), ExpectationError> {
        let mut trace = Trace::default();
        let verdict = callback::classify(&self.inner.program, callback, expect, Some(&mut trace))?;
        Ok((verdict, trace))
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

    /// The compiled program (outside the crate: `unstable::compile::program`).
    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }
}

/// An overlay's files: like [`read_sources`], except that a directory with
/// no `.policy` file is an overlay that adds nothing (an operator with no
/// local changes yet), not an error.
pub fn read_overlay(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    match read_sources(path) {
        Err(LoadError::Empty { .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// A layer's name: the path as given.
fn layer_name(path: &Path) -> String {
    path.display().to_string()
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
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO blocks until a writer comes,
    // and a device may never end.
    special_file(path, &std::fs::metadata(path).map_err(io)?)?;
    let mut file = open_nonblocking(path).map_err(io)?;
    // The path may have been swapped between the check and the open.
    let meta = file.metadata().map_err(io)?;
    special_file(path, &meta)?;
    // Never more than the limit (and one byte to tell) in memory, whatever
    // the file's size says.
    let limit = MAX_FILE_BYTES as u64;
    let mut bytes = Vec::with_capacity(meta.len().min(limit + 1) as usize);
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let name = path.display().to_string();
    if bytes.len() > MAX_FILE_BYTES {
        let file = SourceFile::new(name, "");
        let err = SyntaxError::TooLarge {
            size: usize::try_from(meta.len())
                .unwrap_or(usize::MAX)
                .max(bytes.len()),
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
            // The lossy text has U+FFFD where the bad byte was: underline
            // that whole character, never half of it.
            let err = SyntaxError::NotUtf8 {
                span: (at, char::REPLACEMENT_CHARACTER.len_utf8()).into(),
            };
            Err(LoadError::Invalid {
                diagnostics: vec![PolicyDiagnostic::new(err, &file)],
            })
        }
    }
}

/// `Err(NotAFile)` unless `meta` is a regular file's.
fn special_file(path: &Path, meta: &std::fs::Metadata) -> Result<(), LoadError> {
    if meta.is_file() {
        return Ok(());
    }
    Err(LoadError::NotAFile {
        path: path.to_path_buf(),
        kind: file_kind(&meta.file_type()),
    })
}

/// What a non-regular file is, for the message.
fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "named pipe (FIFO)";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
    }
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Opens for reading without blocking on a FIFO that has no writer (the
/// check before opening cannot see a swap that happens after it).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // No effect on regular files, the only kind read after the open.
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
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
        // The layer too: the same file as base or as overlay is another policy.
        hash.update((f.layer as u64).to_le_bytes());
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
