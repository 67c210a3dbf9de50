//! What the request handlers read: one atomically swapped snapshot of the
//! serving policy and the newest reload result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use oauth_policy::{read_overlay, read_sources, Limits, LoadError, Policy, SourceFile};
use serde::Serialize;

use crate::cli::OnReloadError;
use crate::decision_log::DecisionLog;
use crate::metrics::Metrics;

/// Where the policy comes from: a base, and overlays layered on it.
#[derive(Debug, Clone)]
pub struct Source {
    /// `--policies DIR`, watched and rescanned; `None` for the library
    /// embedded at build time, which never changes.
    pub base: Option<PathBuf>,
    /// `--overlay DIR`s in order, watched and rescanned like `--policies`.
    pub overlays: Vec<PathBuf>,
}

impl Source {
    /// The directories to watch: the base's (if any), then the overlays.
    pub fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        self.base.iter().chain(&self.overlays)
    }

    /// Whether anything can change at run time.
    pub fn reloads(&self) -> bool {
        self.dirs().next().is_some()
    }

    /// The layers' names, base first (as `/v1/policy` lists them).
    pub fn layer_names(&self) -> Vec<String> {
        let base = self
            .base
            .as_ref()
            .map_or_else(|| "builtin".to_string(), |d| d.display().to_string());
        std::iter::once(base)
            .chain(self.overlays.iter().map(|d| d.display().to_string()))
            .collect()
    }

    /// Reads every layer's files, each tagged with its layer.
    pub fn read(&self) -> Result<Vec<SourceFile>, LoadError> {
        let mut files = match &self.base {
            Some(dir) => read_sources(dir)?,
            // The embedded library's files, compiled once per process
            // (`builtin` caches; a test keeps it loading).
            None => Policy::builtin().files().to_vec(),
        };
        for (i, dir) in self.overlays.iter().enumerate() {
            files.extend(read_overlay(dir)?.into_iter().map(|f| f.in_layer(i + 1)));
        }
        Ok(files)
    }

    /// Compiles files [`Source::read`] returned, layer by layer.
    pub fn compile(&self, files: Vec<SourceFile>) -> Result<Policy, LoadError> {
        let mut layers: Vec<(String, Vec<SourceFile>)> = self
            .layer_names()
            .into_iter()
            .map(|n| (n, Vec::new()))
            .collect();
        for f in files {
            if let Some((_, list)) = layers.get_mut(f.layer) {
                list.push(f);
            }
        }
        Policy::from_layers(layers)
    }
}

/// A compiled policy and when it started being served.
#[derive(Debug)]
pub struct Served {
    /// The policy.
    pub policy: Policy,
    /// 1 for the policy loaded at start, +1 for each one swapped in since.
    pub generation: u64,
    /// When it was swapped in.
    pub loaded_at: SystemTime,
}

/// How the newest reload attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReloadResult {
    /// The policy loaded at start.
    Initial,
    /// A new revision was swapped in.
    Ok,
    /// The files compiled to the revision already served.
    Unchanged,
    /// The files could not be read or did not compile.
    Failed,
}

/// One error of a failed reload, for programs (the rendered text is for people).
#[derive(Debug, Clone, Serialize)]
pub struct ErrorSummary {
    /// Stable code, e.g. `policy::E013`.
    pub code: String,
    /// The message.
    pub message: String,
    /// `file:line:column`, when the error is in a file.
    pub location: Option<String>,
    /// The help text, if any.
    pub help: Option<String>,
}

/// The newest reload attempt.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadStatus {
    /// Its result.
    pub result: ReloadResult,
    /// What started it: `startup`, `watch`, `watch_rescan`, `periodic`, `sighup`.
    pub trigger: &'static str,
    /// When it finished.
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
    /// The miette diagnostics, rendered without colour (failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    /// The same errors, one object each (failures only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorSummary>,
}

/// Everything a request needs, swapped as one value so a handler never sees
/// a policy from one reload and a status from another.
#[derive(Debug)]
pub struct Current {
    /// The last good policy.
    pub served: Arc<Served>,
    /// The newest attempt.
    pub last_reload: Arc<ReloadStatus>,
    /// The newest files failed to load, so `served` is older than them.
    pub stale: bool,
    /// Whether decisions are answered (false only with `fail-closed` while stale).
    pub serving: bool,
    /// Reload totals, swapped with the status they led to.
    pub counts: ReloadCounts,
}

/// Reload attempt totals, for `/v1/policy`.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct ReloadCounts {
    /// New revisions swapped in.
    pub ok: u64,
    /// Attempts that found the serving revision.
    pub unchanged: u64,
    /// Attempts that failed (a failure seen again unchanged is counted once).
    pub failed: u64,
}

/// Shared by every handler and the reloader.
#[derive(Debug)]
pub struct AppState {
    /// The snapshot; only the reloader stores into it.
    pub current: ArcSwap<Current>,
    /// Where policies come from.
    pub source: Source,
    /// `--on-reload-error`.
    pub mode: OnReloadError,
    /// Request size limits.
    pub limits: Limits,
    /// Metrics.
    pub metrics: Metrics,
    /// The decision log (a no-op without `--decision-log`).
    pub log: DecisionLog,
}

impl AppState {
    /// State serving `policy`, loaded at start.
    pub fn new(
        policy: Policy,
        source: Source,
        mode: OnReloadError,
        metrics: Metrics,
        log: DecisionLog,
    ) -> Self {
        let now = SystemTime::now();
        metrics.served(1, now);
        metrics.set_stale(false);
        let current = Current {
            served: Arc::new(Served {
                policy,
                generation: 1,
                loaded_at: now,
            }),
            last_reload: Arc::new(ReloadStatus {
                result: ReloadResult::Initial,
                trigger: "startup",
                at: now,
                diagnostics: None,
                errors: Vec::new(),
            }),
            stale: false,
            serving: true,
            counts: ReloadCounts::default(),
        };
        Self {
            current: ArcSwap::from_pointee(current),
            source,
            mode,
            limits: Limits::default(),
            metrics,
            log,
        }
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn ser_time<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}
