//! The component's housekeeping: finishes what a crash or a slow client left between an
//! order and its products' stock, and cancels unpaid orders when their payment is due. Each
//! round does a bounded amount of work; everything here is safe to repeat.

use crate::orders::return_stock;
use crate::stock;
use crate::stored::{ORDERS, PRODUCTS, ensure_order_indexes};
use api_kit::documents::{Op, Query};
use api_kit::store::{self, Stored};
use serde_json::json;
use shop_domain::orders::{OrderStatus, PaymentState, StatusChange, StockState, StoredOrder};
use shop_domain::{Problem, time};

/// A checkout still `reserving` after this long was abandoned (its request ended: the
/// host's deadline is far shorter), so its units go back. The variable
/// `checkout_abandon_seconds` may shorten it (tests) or lengthen it.
const ABANDONED_AFTER_SECS: u64 = 120;

fn abandoned_after() -> u64 {
    crate::shop::platform::config::get("checkout_abandon_seconds").and_then(|v| v.trim().parse().ok()).unwrap_or(ABANDONED_AFTER_SECS)
}
/// Documents one round looks at per kind of work.
const BATCH: u32 = 100;

/// One round of upkeep; a short report for the host's log.
pub fn run() -> Result<String, Problem> {
    ensure_order_indexes()?;
    let abandoned = settle_abandoned_checkouts()?;
    let overdue = cancel_overdue()?;
    let returned = finish_returns()?;
    let entries = settle_product_entries()?;
    Ok(format!(
        "settled {abandoned} abandoned checkouts, cancelled {overdue} unpaid orders, finished {returned} stock returns, settled {entries} product stock entries"
    ))
}

fn find_orders(filter: Vec<api_kit::documents::Clause>) -> Result<Vec<Stored<StoredOrder>>, Problem> {
    let query = Query { filter, text: None, sort: vec![store::key("created_at", false)], skip: 0, limit: BATCH };
    Ok(ORDERS.find(&query)?.0)
}

/// Orders left `reserving`: whatever their checkout took goes back, and they fail.
fn settle_abandoned_checkouts() -> Result<u64, Problem> {
    let orders = find_orders(vec![
        store::clause("status", Op::Eq, json!(OrderStatus::Reserving.as_str())),
        store::clause("created_at", Op::Lt, json!(time::rfc3339_before_now(std::time::Duration::from_secs(abandoned_after())))),
    ])?;
    let mut settled = 0;
    for order in orders {
        for line in &order.body.lines {
            stock::give_back_hold(&line.product, &order.id)?;
        }
        let mut body = order.body.clone();
        body.fail(time::now_rfc3339(), Some("The checkout did not finish.".into()));
        // A checkout that finished meanwhile wins (its order moved on): this one is skipped.
        if let Ok(Some(_)) = ORDERS.replace(&order.id, order.version, &body)? {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Orders still waiting for their payment after it was due are cancelled by the system.
fn cancel_overdue() -> Result<u64, Problem> {
    let orders = find_orders(vec![
        store::clause("status", Op::Eq, json!(OrderStatus::PendingPayment.as_str())),
        store::clause("payment_due", Op::Lt, json!(time::now_rfc3339())),
    ])?;
    let mut cancelled = 0;
    for order in orders {
        let mut body = order.body.clone();
        let now = time::now_rfc3339();
        body.status = OrderStatus::Cancelled;
        body.payment.state = PaymentState::Voided;
        body.history.push(StatusChange {
            status: OrderStatus::Cancelled,
            at: now.clone(),
            by: "system".into(),
            note: Some("The payment was not made in time.".into()),
        });
        body.updated_at = now;
        if let Ok(Some(stored)) = ORDERS.replace(&order.id, order.version, &body)? {
            return_stock(stored)?;
            cancelled += 1;
        }
    }
    Ok(cancelled)
}

/// Cancelled or refunded orders whose units a crash kept from going back.
fn finish_returns() -> Result<u64, Problem> {
    let statuses: Vec<&str> = OrderStatus::ALL.iter().filter(|s| s.returns_stock()).map(|s| s.as_str()).collect();
    let orders = find_orders(vec![store::clause("status", Op::InList, json!(statuses)), store::clause("stock", Op::Eq, json!("held"))])?;
    let count = orders.len() as u64;
    for order in orders {
        return_stock(order)?;
    }
    Ok(count)
}

/// Entries products still carry for orders: each settled by what its order says.
fn settle_product_entries() -> Result<u64, Problem> {
    let mut settled = 0;
    for field in ["stock_holds", "stock_returns"] {
        let query =
            Query { filter: vec![store::clause(field, Op::Exists, json!(true))], text: None, sort: Vec::new(), skip: 0, limit: BATCH };
        for product in PRODUCTS.find(&query)?.0 {
            let entries = if field == "stock_holds" { &product.body.stock_holds } else { &product.body.stock_returns };
            for order_id in entries.keys() {
                let order = ORDERS.get(order_id)?;
                let done = match (field, order) {
                    // A checkout never recorded: its units were never the order's.
                    ("stock_holds", None) => stock::give_back_hold(&product.id, order_id).map(|()| true)?,
                    ("stock_holds", Some(order)) => match (order.body.status, order.body.stock) {
                        (OrderStatus::Reserving, _) => false,
                        (OrderStatus::Failed, _) => stock::give_back_hold(&product.id, order_id).map(|()| true)?,
                        _ => stock::clear_hold(&product.id, order_id).map(|()| true)?,
                    },
                    (_, Some(order)) if order.body.stock == StockState::Held => return_stock(order).map(|_| true)?,
                    _ => stock::clear_return(&product.id, order_id).map(|()| true)?,
                };
                settled += u64::from(done);
            }
        }
    }
    Ok(settled)
}
