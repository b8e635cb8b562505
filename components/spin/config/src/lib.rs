//! `shop:platform/config` over Spin's application variables, for the same service components
//! under `spin up`. Spin grants a component only the variables its `[component.<id>.variables]`
//! table lists, which is the rule the host applies too; a variable that is undefined, not
//! granted or unreadable reads as none, as the interface says.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "spin-config",
    generate_all,
});

use exports::shop::platform::config::Guest;
use fermyon::spin::variables;

struct SpinConfig;

impl Guest for SpinConfig {
    fn get(key: String) -> Option<String> {
        variables::get(&key).ok()
    }
}

export!(SpinConfig);
