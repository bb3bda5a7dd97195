//! zkc compiles declarative KDL specs into the Kubernetes manifests of ZooKeeper ensembles.
//!
//! Data flows one way through the stages, each in its own module:
//! [`source`] (files) → [`syntax`] (KDL documents) → [`resolve`] (composed settings with
//! provenance) → [`model`] (typed ensembles) → [`check`] (semantic diagnostics) → [`emit`]
//! (Kubernetes objects) → [`render`] (file contents) → [`output`] (the written tree).
//! [`compile`] runs the stages up to `render`; [`cli`] is the command line.

pub mod check;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod docs;
pub mod emit;
pub mod explain;
pub mod fmt;
mod lex;
pub mod manifests;
pub mod model;
pub mod output;
pub mod patches;
pub mod plan;
pub mod quantity;
pub mod render;
pub mod repo;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod summary;
pub mod syntax;
mod write;
