//! The app's features. Each owns its state, the commands the UI sends it, the events its
//! workers report, and the functions that apply both (`apply_*`, `handle_*`, as `impl FxApp`
//! blocks); [`super::FxApp`] only routes to them.
//!
//! To add a feature: a file here with its state, its command and event enums (each with a
//! `From` into [`super::command::Command`] and [`super::tasks::TaskEvent`]), its `apply_*`
//! and `handle_*`, a field in `FxApp`, and one routing arm in `apply` and in `handle`.

pub mod certificates;
pub mod doctor;
pub mod document;
pub mod install;
pub mod key;
pub mod module;
pub mod ssh_client;
