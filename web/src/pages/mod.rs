//! The pages.

pub mod account;
pub mod admin;
pub mod cart;
pub mod category;
pub mod checkout;
pub mod home;
pub mod product;
pub mod search;

use crate::components::set_status;
use crate::i18n::use_lang;
use leptos::prelude::*;
use leptos_meta::Title;

/// 404.
#[component]
pub fn NotFound() -> impl IntoView {
    let lang = use_lang();
    set_status(404);
    view! {
        <Title text=lang.t("not-found-title") />
        <section class="error-panel">
            <h1>{lang.t("not-found-title")}</h1>
            <p>{lang.t("not-found-text")}</p>
            <p><a class="button" href=lang.path("/")>{lang.t("back-home")}</a></p>
        </section>
    }
}
