//! Given / when / then tests of the domain: one module per subject, sharing `common`.

mod common;
mod evolve;
mod rules;
