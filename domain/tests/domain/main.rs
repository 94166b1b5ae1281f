//! Given / when / then tests of the domain: one module per stream kind, the rules, the
//! permissions, and the folds.

mod common;
mod evolve;
