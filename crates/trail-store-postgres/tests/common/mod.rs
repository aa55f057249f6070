//! The shared test helpers live in the crate (`trail_store_postgres::testing`) so
//! other crates' tests use the same ones.

pub use trail_store_postgres::testing::*;
