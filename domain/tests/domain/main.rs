//! Given / when / then tests of the domain: one module per subject, sharing `common`.

mod available;
mod bounds;
mod common;
mod copil;
mod corrections;
mod dates;
mod evolve;
mod lifecycle;
mod permissions;
mod renewals;
mod reports;
mod rules;
mod streams;
