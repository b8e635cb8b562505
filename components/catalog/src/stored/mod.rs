//! The catalogue's store access, below the HTTP handlers: what each collection holds, its
//! indexes, and the reads and writes the handlers share. Handlers depend on these modules,
//! never the other way round, so categories, products and images have no import cycle.

pub mod categories;
pub mod products;
