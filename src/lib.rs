//! wirefeed: a streaming wire-feed processor.
//!
//! # Layout
//! - [`engine`]: the functional core — clean, tag, classify (pure, no IO).
//! - [`model`]: the typed values passed between stages.
//! - [`ninjs`]: rendering a classified article as an IPTC ninjs 3.0 document.
//! - [`data`]: built-in and user data files (topics, gazetteer, patterns).
//! - [`error`]: typed errors with bounded labels.

pub mod cli;
pub mod daemon;
pub mod data;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod model;
pub mod ninjs;
pub mod story_store;

/// Every binary and bench that links the library (the daemon, the CLI, the engine
/// bench) runs on mimalloc: short per-article strings are its strength.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
