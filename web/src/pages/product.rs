//! A product: gallery, price, stock, description and "add to cart".

use crate::cart::Cart;
use crate::components::{ErrorPanel, Picture, Price, Seo};
use crate::data::load_product;
use crate::i18n::use_lang;
use crate::model::{InLang, Product};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/p/{slug}`.
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(move || params.with(|p| p.get("slug").unwrap_or_default()), load_product);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok(product) => view! { <ProductView product /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(product: Product) -> impl IntoView {
    let lang = use_lang();
    let cart = Cart::use_cart();
    let name = product.name.in_lang(lang).to_owned();
    let description = product.description.in_lang(lang).to_owned();
    let summary: String = description.split("\n\n").next().unwrap_or("").chars().take(160).collect();
    let category = product.category.clone();
    let (added, set_added) = signal(false);
    let for_cart = product.clone();
    // A plain form to the cart's server function, so a signed-in shopper without JavaScript
    // can buy too; with JavaScript the page's cart takes it (this browser's or the server's).
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        cart.add(&for_cart, 1);
        set_added.set(true);
    };
    let product_id = product.id.clone();
    let change_cart_url = <crate::cart::ChangeCart as leptos::server_fn::ServerFn>::PATH;
    view! {
        <Seo title=name.clone() description=summary neutral=format!("/p/{}", product.slug) />
        <nav class="breadcrumbs" aria-label=lang.t("nav-categories")>
            <a href=lang.path("/")>{lang.t("nav-home")}</a>
            {category.map(|c| view! { " / " <a href=lang.path(&format!("/c/{}", c.slug))>{c.name.in_lang(lang).to_owned()}</a> })}
        </nav>
        <article class="product">
            <Gallery product=product.clone() name=name.clone() />
            <div class="product-info">
                <h1>{name}</h1>
                <p class="product-price"><Price price=product.price.clone() was=product.compare_at_price.clone() /></p>
                <p class=if product.in_stock { "stock in" } else { "stock out" }>
                    {if product.in_stock { lang.t("in-stock") } else { lang.t("out-of-stock") }}
                </p>
                <form method="post" action=change_cart_url on:submit=add class="add-form">
                    <input type="hidden" name="product" value=product_id />
                    <input type="hidden" name="quantity" value="1" />
                    <input type="hidden" name="mode" value="add" />
                    <button type="submit" class="primary add-to-cart" disabled=!product.in_stock>{lang.t("add-to-cart")}</button>
                </form>
                <p class="added" role="status">{move || added.get().then(|| lang.t("added-to-cart"))}</p>
                <p class="cart-error" role="alert">{move || cart.error().map(|e| e.message(lang))}</p>
                <div class="description">
                    {description.split("\n\n").map(|p| view! { <p>{p.to_owned()}</p> }).collect_view()}
                </div>
            </div>
        </article>
    }
}

/// The main image and thumbnails that choose it. The first image loads eagerly (it is the
/// page's largest paint); thumbnails are lazy.
#[component]
fn Gallery(product: Product, name: String) -> impl IntoView {
    let lang = use_lang();
    let images = product.images.clone();
    if images.is_empty() {
        let initial = name.chars().next().map(String::from).unwrap_or_default();
        return view! { <div class="gallery"><div class="main-image placeholder" aria-hidden="true">{initial}</div></div> }.into_any();
    }
    let (current, set_current) = signal(0usize);
    let count = images.len();
    let main_images = images.clone();
    let alt = name.clone();
    view! {
        <section class="gallery" aria-label=lang.t("product-images")>
            <div class="main-image">
                {move || {
                    let index = current.get().min(count - 1);
                    let image = main_images[index].clone();
                    let alt = if count > 1 { format!("{alt} ({})", lang.t_with("image-of", &[("index", ((index + 1) as i64).into()), ("count", (count as i64).into())])) } else { alt.clone() };
                    view! { <Picture image alt sizes="(min-width: 900px) 50vw, 100vw" eager=true fallback_width=1024 /> }
                }}
            </div>
            {(count > 1).then(|| view! {
                <ul class="thumbs">
                    {images.into_iter().enumerate().map(|(index, image)| {
                        let label = lang.t_with("image-of", &[("index", ((index + 1) as i64).into()), ("count", (count as i64).into())]);
                        view! {
                            <li>
                                <button type="button" aria-label=label aria-pressed=move || (current.get() == index).to_string() on:click=move |_| set_current.set(index)>
                                    <Picture image alt="" sizes="80px" fallback_width=320 />
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}
