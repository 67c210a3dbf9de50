//! Where a store's policy comes from: a base (a directory, or the embedded
//! library) and overlay directories layered on it, read and compiled
//! exactly as [`Policy::load`] and [`Policy::with_overlay`] do.

use std::path::PathBuf;

use crate::policy::{read_overlay, read_sources, LoadError, Policy};
use crate::source::SourceFile;

/// The bottom layer.
#[derive(Debug, Clone)]
pub(crate) enum Base {
    /// A directory of `.policy` files, watched and reloaded.
    Dir(PathBuf),
    /// The embedded library ([`Policy::builtin`]), which never changes.
    Builtin,
}

/// A base and its overlays.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) base: Base,
    pub(crate) overlays: Vec<PathBuf>,
}

impl Source {
    /// The directories to watch: the base's (if any), then the overlays.
    pub(crate) fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        let base = match &self.base {
            Base::Dir(d) => Some(d),
            Base::Builtin => None,
        };
        base.into_iter().chain(&self.overlays)
    }

    /// Whether anything can change at run time.
    pub(crate) fn reloads(&self) -> bool {
        self.dirs().next().is_some()
    }

    /// The layers' names, base first (as [`Policy::layers`] lists them).
    fn layer_names(&self) -> Vec<String> {
        let base = match &self.base {
            Base::Dir(d) => d.display().to_string(),
            Base::Builtin => "builtin".to_string(),
        };
        std::iter::once(base)
            .chain(self.overlays.iter().map(|d| d.display().to_string()))
            .collect()
    }

    /// Reads every layer's files, each tagged with its layer.
    pub(crate) fn read(&self) -> Result<Vec<SourceFile>, LoadError> {
        let mut files = match &self.base {
            Base::Dir(dir) => read_sources(dir)?,
            // Compiled once per process (`builtin` caches it).
            Base::Builtin => Policy::builtin().files().to_vec(),
        };
        for (i, dir) in self.overlays.iter().enumerate() {
            files.extend(read_overlay(dir)?.into_iter().map(|f| f.in_layer(i + 1)));
        }
        Ok(files)
    }

    /// Compiles files [`Source::read`] returned, layer by layer.
    pub(crate) fn compile(&self, files: Vec<SourceFile>) -> Result<Policy, LoadError> {
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
