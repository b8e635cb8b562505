//! Stock held for orders, in the product documents themselves (ADR 0018).
//!
//! Every change of a product's stock for an order is one versioned replace of that product
//! that also writes an entry under the order's id: `stock_holds` when units are taken,
//! `stock_returns` when they are given back. The entry makes the change happen once (a
//! retry finds it and does nothing) and says, until the order records the change, that the
//! product has done its part; once the order has recorded it, the entry is removed. A crash
//! anywhere in between leaves an entry or an order that housekeeping settles (see
//! `upkeep`). Two shoppers racing for the last unit both read version N; one replace wins,
//! the other conflicts, reads N+1 and finds no unit left.

use crate::stored::PRODUCTS;
use api_kit::store;
use shop_domain::Problem;
use shop_domain::catalog::{ProductStatus, StoredProduct};
use std::time::{Duration, Instant};

/// How long one change keeps retrying against other writers of the same product: well
/// inside the host's deadline for a request (`SHOP_CPU_DEADLINE_MS`, 5 s by default), so a
/// shopper who loses every race gets a 503 saying so, not a trap.
const CONTENTION_LIMIT: Duration = Duration::from_secs(3);

/// What taking units for an order found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// The units are held for the order (now, or by an earlier attempt).
    Held,
    /// Fewer units are in stock; nothing was taken.
    Short {
        /// Units in stock.
        available: i64,
    },
    /// The product is gone or no longer published; nothing was taken.
    Gone,
}

/// What a change decided for one product.
enum Change<T> {
    /// Write the product as changed, then answer `T`.
    Write(T),
    /// Nothing to write; answer `T`.
    Keep(T),
}

/// Reads product `id`, lets `change` edit it, and replaces it at the version read, again on a
/// newer version when another writer came first. `None` when the product does not exist.
fn modify<T>(id: &str, mut change: impl FnMut(&mut StoredProduct) -> Change<T>) -> Result<Option<T>, Problem> {
    let started = Instant::now();
    loop {
        let Some(current) = PRODUCTS.get(id)? else { return Ok(None) };
        let mut doc = current.body;
        let answer = match change(&mut doc) {
            Change::Keep(answer) => return Ok(Some(answer)),
            Change::Write(answer) => answer,
        };
        match PRODUCTS.replace(id, current.version, &doc)? {
            Ok(Some(_)) => return Ok(Some(answer)),
            Ok(None) => return Ok(None),
            Err(error) if !store::is_conflict(&error) => return Err(store::to_problem(error)),
            Err(_) if started.elapsed() > CONTENTION_LIMIT => {
                return Err(Problem::unavailable("Too many people are buying this product at once. Try again shortly."));
            }
            Err(_) => continue,
        }
    }
}

/// Takes `units` of product `id` for `order`: lowers the stock and writes the hold, in one
/// replace. Taking again for the same order finds the hold and takes nothing more.
pub fn take(id: &str, order: &str, units: i64) -> Result<Take, Problem> {
    let taken = modify(id, |doc| {
        if doc.stock_holds.contains_key(order) {
            Change::Keep(Take::Held)
        } else if doc.status != ProductStatus::Published {
            Change::Keep(Take::Gone)
        } else if doc.stock < units {
            Change::Keep(Take::Short { available: doc.stock.max(0) })
        } else {
            doc.stock -= units;
            doc.stock_holds.insert(order.to_owned(), units);
            Change::Write(Take::Held)
        }
    })?;
    Ok(taken.unwrap_or(Take::Gone))
}

/// Gives back what `order` holds of product `id` when the order never recorded it (a
/// checkout that failed or was abandoned): raises the stock by the hold and removes it.
pub fn give_back_hold(id: &str, order: &str) -> Result<(), Problem> {
    modify(id, |doc| match doc.stock_holds.remove(order) {
        Some(units) => {
            doc.stock += units;
            Change::Write(())
        }
        None => Change::Keep(()),
    })?;
    Ok(())
}

/// Removes the hold of `order` on product `id` once the order has recorded its units (they
/// stay out of stock: they are the order's).
pub fn clear_hold(id: &str, order: &str) -> Result<(), Problem> {
    modify(id, |doc| if doc.stock_holds.remove(order).is_some() { Change::Write(()) } else { Change::Keep(()) })?;
    Ok(())
}

/// Puts `units` of product `id` back in stock for `order` (cancelled or refunded), once: the
/// return entry records it. A hold the order had recorded but not yet cleared goes too.
pub fn give_back(id: &str, order: &str, units: i64) -> Result<(), Problem> {
    modify(id, |doc| {
        let stale_hold = doc.stock_holds.remove(order).is_some();
        if doc.stock_returns.contains_key(order) {
            return if stale_hold { Change::Write(()) } else { Change::Keep(()) };
        }
        doc.stock += units;
        doc.stock_returns.insert(order.to_owned(), units);
        Change::Write(())
    })?;
    Ok(())
}

/// Removes the return entry of `order` on product `id` once the order has recorded it.
pub fn clear_return(id: &str, order: &str) -> Result<(), Problem> {
    modify(id, |doc| if doc.stock_returns.remove(order).is_some() { Change::Write(()) } else { Change::Keep(()) })?;
    Ok(())
}
