//! The collections this component keeps (carts and orders) and the one it reads and holds
//! stock in (products, the catalog's).

use api_kit::documents::IndexKind;
use api_kit::store::{self, Collection, Stored};
use shop_domain::Problem;
use shop_domain::catalog::{ProductStatus, StoredProduct};
use shop_domain::orders::{StoredCart, StoredOrder};

/// One cart per signed-in user, under the user's id.
pub const CARTS: Collection<StoredCart> = Collection::new("carts");
/// Orders.
pub const ORDERS: Collection<StoredOrder> = Collection::new("orders");
/// The catalog's products.
pub const PRODUCTS: Collection<StoredProduct> = Collection::new("products");

/// Declares the orders' indexes: a shopper's orders, and the admins' filters, newest first.
pub fn ensure_order_indexes() -> Result<(), Problem> {
    use store::{index, key};
    store::ensure_indexes(
        ORDERS.name,
        &[
            index("by_customer", vec![key("customer", false), key("created_at", true)], IndexKind::Regular),
            index("by_status", vec![key("status", false), key("created_at", true)], IndexKind::Regular),
            index("by_email", vec![key("email", false), key("created_at", true)], IndexKind::Regular),
            index("newest", vec![key("created_at", true)], IndexKind::Regular),
        ],
    )
}

/// A product that can be bought: found by id or slug and published.
pub fn buyable_product(key: &str) -> Result<Option<Stored<StoredProduct>>, Problem> {
    Ok(PRODUCTS.get_by_id_or_slug(key)?.filter(|p| p.body.status == ProductStatus::Published))
}
