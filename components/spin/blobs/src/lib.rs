//! `shop:platform/blobs` over Spin's key-value store "default" (`key_value_stores` in
//! `spin.toml`), for the same service components under `spin up`. Keys follow the same rule
//! as on the host ([`shop_domain::blob_key`]).

wit_bindgen::generate!({
    path: "../../../wit",
    world: "spin-blobs",
    generate_all,
});

use exports::shop::platform::blobs::{Error, Guest};
use fermyon::spin::key_value::{self, Store};
use shop_domain::blob_key::BlobKey;

/// The store every component of the application shares.
const STORE: &str = "default";

/// The store, once `key` is known to be a blob key.
fn open(key: &str) -> Result<Store, Error> {
    BlobKey::parse(key).map_err(|invalid| Error::InvalidKey(invalid.0))?;
    Store::open(STORE).map_err(io)
}

fn io(error: key_value::Error) -> Error {
    Error::Io(format!("key-value store {STORE}: {error:?}"))
}

struct SpinBlobs;

impl Guest for SpinBlobs {
    fn put(key: String, bytes: Vec<u8>) -> Result<(), Error> {
        open(&key)?.set(&key, &bytes).map_err(io)
    }

    fn get(key: String) -> Result<Option<Vec<u8>>, Error> {
        open(&key)?.get(&key).map_err(io)
    }

    fn delete(key: String) -> Result<bool, Error> {
        let store = open(&key)?;
        if !store.exists(&key).map_err(io)? {
            return Ok(false);
        }
        store.delete(&key).map_err(io)?;
        Ok(true)
    }
}

export!(SpinBlobs);
