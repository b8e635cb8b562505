//! Creating and editing a product, with the API's message beside each field, and its images:
//! upload with previews, reorder, remove.

use super::{ActionError, AdminFrame, AdminInfo, Field, current_admin};
use crate::app::use_lang;
use crate::components::ErrorPanel;
use crate::model::{AppError, Category, Image, Product};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// A product by id, in any status.
#[server(prefix = "/_srv/admin")]
pub async fn admin_product(id: String) -> Result<Product, AppError> {
    let session = super::session().await?;
    crate::server::api().get(&format!("/api/products/{}", crate::data::encode(&id)), Some(&session.token)).await
}

/// The categories, for the form's choice.
#[server(prefix = "/_srv/admin")]
pub async fn category_choices() -> Result<Vec<Category>, AppError> {
    #[derive(Deserialize)]
    struct List {
        items: Vec<Category>,
    }
    let session = super::session().await?;
    Ok(crate::server::api().get::<List>("/api/categories", Some(&session.token)).await?.items)
}

/// What a save answers: the product's id and its new version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    /// The product's id.
    pub id: String,
    /// Its version after the save.
    pub version: u64,
}

/// Creates (no `id`) or replaces a product from the form. Prices are typed in major units
/// and sent in minor units; everything else is checked by the API, whose messages come back
/// per field.
#[server(prefix = "/_srv/admin")]
#[allow(clippy::too_many_arguments)]
pub async fn save_product(
    csrf: String,
    lang: String,
    id: Option<String>,
    version: Option<u64>,
    name_en: String,
    name_ar: String,
    slug: Option<String>,
    description_en: String,
    description_ar: String,
    price: String,
    compare_at: Option<String>,
    currency: String,
    stock: String,
    category: Option<String>,
    featured: Option<String>,
    status: String,
) -> Result<Saved, AppError> {
    use crate::format::parse_amount;
    use serde_json::json;
    use shop_domain::FieldError;
    let session = super::checked(&csrf).await?;
    let mut errors = Vec::new();
    let currency = currency.trim().to_uppercase();
    let price = parse_amount(&price, &currency).map_err(|m| errors.push(FieldError { field: "price.amount".into(), message: m })).ok();
    let compare_at = match compare_at.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => {
            parse_amount(text, &currency).map_err(|m| errors.push(FieldError { field: "compare_at_price.amount".into(), message: m })).ok()
        }
    };
    let stock = stock
        .trim()
        .parse::<i64>()
        .map_err(|_| errors.push(FieldError { field: "stock".into(), message: "must be a whole number".into() }))
        .ok();
    if !errors.is_empty() {
        return Err(AppError::Refused { status: 422, title: "Invalid product".into(), detail: None, errors });
    }
    let mut body = json!({
        "name": { "en": name_en.trim(), "ar": name_ar.trim() },
        "description": { "en": description_en.trim(), "ar": description_ar.trim() },
        "price": { "amount": price, "currency": currency },
        "stock": stock,
        "featured": featured.is_some(),
        "status": status,
    });
    if let Some(amount) = compare_at {
        body["compare_at_price"] = json!({ "amount": amount, "currency": currency });
    }
    if let Some(slug) = slug.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        body["slug"] = json!(slug);
    }
    if let Some(category) = category.filter(|c| !c.is_empty()) {
        body["category"] = json!(category);
    }
    let api = crate::server::api();
    let (method, path) = match &id {
        Some(id) => {
            body["version"] = json!(version);
            (http::Method::PUT, format!("/api/products/{}", crate::data::encode(id)))
        }
        None => (http::Method::POST, "/api/products".to_owned()),
    };
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    let product: Product = api.call(method, &path, call).await?;
    if id.is_none() {
        let lang = crate::i18n::Lang::from_code(&lang).unwrap_or_default();
        leptos_axum::redirect(&lang.path(&format!("/admin/products/{}", product.id)));
    }
    Ok(Saved { id: product.id, version: product.version })
}

/// Adds images to a product: a multipart form with `csrf`, `product` and `images` files,
/// passed to the API as they came (the media component checks and converts them).
#[server(prefix = "/_srv/admin", input = MultipartFormData)]
pub async fn upload_images(data: MultipartData) -> Result<Product, AppError> {
    let mut multipart = data.into_inner().ok_or_else(|| AppError::BadRequest("expected a multipart form".into()))?;
    let bad = |e: multer::Error| AppError::BadRequest(e.to_string());
    let (mut csrf, mut product) = (String::new(), String::new());
    let mut form = reqwest::multipart::Form::new();
    let mut files = 0;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "product" => product = field.text().await.map_err(bad)?,
            "images" => {
                let file_name = field.file_name().unwrap_or("image").to_owned();
                let content_type = field.content_type().map(|m| m.to_string()).unwrap_or_else(|| "application/octet-stream".into());
                let bytes = field.bytes().await.map_err(bad)?;
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name(file_name)
                    .mime_str(&content_type)
                    .map_err(|e| AppError::BadRequest(e.to_string()))?;
                form = form.part("images", part);
                files += 1;
            }
            _ => {}
        }
    }
    let session = super::checked(&csrf).await?;
    if product.is_empty() || files == 0 {
        return Err(AppError::Refused {
            status: 422,
            title: "No images".into(),
            detail: Some("Choose at least one image.".into()),
            errors: Vec::new(),
        });
    }
    crate::server::api()
        .multipart::<serde_json::Value>(&format!("/api/products/{}/images", crate::data::encode(&product)), &session.token, form)
        .await?;
    crate::server::api().get(&format!("/api/products/{}", crate::data::encode(&product)), Some(&session.token)).await
}

/// Puts a product's images in a new order (ids, comma-separated).
#[server(prefix = "/_srv/admin")]
pub async fn reorder_images(csrf: String, id: String, order: String) -> Result<Product, AppError> {
    let session = super::checked(&csrf).await?;
    let order: Vec<&str> = order.split(',').filter(|s| !s.is_empty()).collect();
    let body = serde_json::json!({ "order": order });
    let call = crate::server::api::Call { token: Some(&session.token), json: Some(&body), ..Default::default() };
    crate::server::api()
        .call::<serde_json::Value>(http::Method::PUT, &format!("/api/products/{}/images/order", crate::data::encode(&id)), call)
        .await?;
    crate::server::api().get(&format!("/api/products/{}", crate::data::encode(&id)), Some(&session.token)).await
}

/// Removes one image of a product.
#[server(prefix = "/_srv/admin")]
pub async fn delete_image(csrf: String, id: String, image: String) -> Result<Product, AppError> {
    let session = super::checked(&csrf).await?;
    let call = crate::server::api::Call { token: Some(&session.token), ..Default::default() };
    crate::server::api()
        .call::<serde_json::Value>(
            http::Method::DELETE,
            &format!("/api/products/{}/images/{}", crate::data::encode(&id), crate::data::encode(&image)),
            call,
        )
        .await?;
    crate::server::api().get(&format!("/api/products/{}", crate::data::encode(&id)), Some(&session.token)).await
}

/// `/admin/products/new`.
#[component]
pub fn NewProductPage() -> impl IntoView {
    let lang = use_lang();
    let data = Resource::new(|| (), |_| async move { Ok::<_, AppError>((current_admin().await?, category_choices().await?)) });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, categories)) => view! {
                        <AdminFrame info=info.clone() title=lang.t("admin-new-product")>
                            <ProductForm info product=None categories version=RwSignal::new(0) />
                        </AdminFrame>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/admin/products/{id}`.
#[component]
pub fn EditProductPage() -> impl IntoView {
    let lang = use_lang();
    let params = use_params_map();
    let data = Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        |id| async move { Ok::<_, AppError>((current_admin().await?, admin_product(id).await?, category_choices().await?)) },
    );
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    Ok((info, product, categories)) => {
                        // Image changes bump the product's version too: the form must send the latest.
                        let version = RwSignal::new(product.version);
                        view! {
                            <AdminFrame info=info.clone() title=format!("{}: {}", lang.t("admin-edit-product"), product.name.get(lang))>
                                <ProductForm info=info.clone() product=Some(product.clone()) categories version />
                                <ImageManager info product version />
                            </AdminFrame>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductForm(info: AdminInfo, product: Option<Product>, categories: Vec<Category>, version: RwSignal<u64>) -> impl IntoView {
    let lang = use_lang();
    let save = ServerAction::<SaveProduct>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field(name)));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.version);
        }
    });
    let p = product.clone();
    let text = move |get: fn(&Product) -> String| p.as_ref().map(get).unwrap_or_default();
    let decimal = |m: &shop_domain::Money| m.decimal();
    let current_category = product.as_ref().and_then(|p| p.category.as_ref().map(|c| c.id.clone()));
    let status = product.as_ref().map(|p| p.status.clone()).unwrap_or_else(|| "draft".into());
    let currency = product.as_ref().map(|p| p.price.currency.clone()).unwrap_or_else(|| "SAR".into());
    view! {
        <ActionForm action=save attr:class="product-form" attr:novalidate=true>
            <input type="hidden" name="csrf" value=info.csrf />
            <input type="hidden" name="lang" value=lang.code() />
            {product.as_ref().map(|p| view! {
                <input type="hidden" name="id" value=p.id.clone() />
                <input type="hidden" name="version" prop:value=move || version.get().to_string() />
            })}
            <ActionError error />
            <div class="form-grid">
                <Field name="name_en" label=lang.t("admin-name-en") value=text(|p| p.name.en.clone()) error=field("name.en") dir="ltr" required=true />
                <Field name="name_ar" label=lang.t("admin-name-ar") value=text(|p| p.name.ar.clone()) error=field("name.ar") dir="rtl" />
                <Field name="description_en" label=lang.t("admin-description-en") value=text(|p| p.description.en.clone()) error=field("description.en") dir="ltr" multiline=true />
                <Field name="description_ar" label=lang.t("admin-description-ar") value=text(|p| p.description.ar.clone()) error=field("description.ar") dir="rtl" multiline=true />
                <Field name="slug" label=lang.t("admin-slug") value=text(|p| p.slug.clone()) error=field("slug") dir="ltr" />
                <Field name="price" label=lang.t("admin-price") value=text(|p| p.price.decimal()) error=field("price") inputmode="decimal" required=true />
                <Field name="compare_at" label=lang.t("admin-compare-at") value=product.as_ref().and_then(|p| p.compare_at_price.as_ref().map(decimal)).unwrap_or_default() error=field("compare_at_price") inputmode="decimal" />
                <div class="field">
                    <label for="field-currency">{lang.t("admin-currency")}</label>
                    <select id="field-currency" name="currency">
                        {shop_domain::money::CURRENCIES.iter().map(|(code, _)| view! { <option value=*code selected=*code == currency>{*code}</option> }).collect_view()}
                    </select>
                </div>
                <Field name="stock" label=lang.t("admin-stock") value=product.as_ref().map(|p| p.stock.to_string()).unwrap_or_else(|| "0".into()) error=field("stock") kind="number" inputmode="numeric" />
                <div class="field">
                    <label for="field-category">{lang.t("admin-category")}</label>
                    <select id="field-category" name="category">
                        <option value="">{lang.t("admin-no-category")}</option>
                        {categories.into_iter().map(|c| {
                            let selected = current_category.as_deref() == Some(c.id.as_str());
                            view! { <option value=c.id.clone() selected=selected>{c.name.get(lang).to_owned()}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error">{move || field("category").get()}</p>
                </div>
                <div class="field">
                    <label for="field-status">{lang.t("admin-status")}</label>
                    <select id="field-status" name="status">
                        <option value="draft" selected=status == "draft">{lang.t("admin-status-draft")}</option>
                        <option value="published" selected=status == "published">{lang.t("admin-status-published")}</option>
                    </select>
                    <p class="field-error">{move || field("status").get()}</p>
                </div>
                <div class="field check">
                    <input id="field-featured" type="checkbox" name="featured" value="on" checked=product.as_ref().is_some_and(|p| p.featured) />
                    <label for="field-featured">{lang.t("admin-featured")}</label>
                </div>
            </div>
            <p class="form-buttons">
                <button type="submit" class="primary" disabled=move || save.pending().get()>{lang.t("admin-save")}</button>
                <span role="status" class="saved">{move || matches!(save.value().get(), Some(Ok(_))).then(|| lang.t("admin-saved"))}</span>
            </p>
        </ActionForm>
    }
}

#[component]
fn ImageManager(info: AdminInfo, product: Product, version: RwSignal<u64>) -> impl IntoView {
    let lang = use_lang();
    let images = RwSignal::new(product.images.clone());
    let previews = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let form = NodeRef::<leptos::html::Form>::new();
    let id = product.id.clone();
    let csrf = info.csrf.clone();

    let on_files = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = _ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            for old in previews.get_untracked() {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            let mut urls = Vec::new();
            if let Some(files) = input.files() {
                for index in 0..files.length() {
                    if let Some(url) = files.get(index).and_then(|f| web_sys::Url::create_object_url_with_blob(&f).ok()) {
                        urls.push(url);
                    }
                }
            }
            previews.set(urls);
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let Some(element) = form.get() else { return };
            let Ok(data) = web_sys::FormData::new_with_form(&element) else { return };
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                match upload_images(data.into()).await {
                    Ok(product) => {
                        version.set(product.version);
                        images.set(product.images);
                        previews.set(Vec::new());
                        element.reset();
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };
    let apply = move |result: Result<Product, AppError>| match result {
        Ok(product) => {
            version.set(product.version);
            images.set(product.images);
            error.set(None);
        }
        Err(e) => error.set(Some(e)),
    };
    let (move_id, move_csrf) = (id.clone(), csrf.clone());
    let shift = move |index: usize, later: bool| {
        let mut order: Vec<String> = images.get_untracked().iter().map(|i| i.id.clone()).collect();
        let other = if later { index + 1 } else { index.wrapping_sub(1) };
        if other >= order.len() {
            return;
        }
        order.swap(index, other);
        let (id, csrf) = (move_id.clone(), move_csrf.clone());
        leptos::task::spawn_local(async move { apply(reorder_images(csrf, id, order.join(",")).await) });
    };
    let (remove_id, remove_csrf) = (id.clone(), csrf.clone());
    let remove = move |image: String| {
        let (id, csrf) = (remove_id.clone(), remove_csrf.clone());
        leptos::task::spawn_local(async move { apply(delete_image(csrf, id, image).await) });
    };
    view! {
        <section class="images-admin" aria-labelledby="images-heading">
            <h2 id="images-heading">{lang.t("admin-images")}</h2>
            <ol class="image-list">
                {move || {
                    let list = images.get();
                    let count = list.len();
                    let (shift, remove) = (shift.clone(), remove.clone());
                    list.into_iter().enumerate().map(move |(index, image): (usize, Image)| {
                        let (earlier, later, remove) = (shift.clone(), shift.clone(), remove.clone());
                        let thumb = image.variants.first().map(|v| v.url.clone()).unwrap_or_default();
                        let image_id = image.id.clone();
                        view! {
                            <li data-image=image.id.clone()>
                                <img src=thumb alt=format!("{} {}", lang.t("admin-images"), index + 1) width=image.width height=image.height loading="lazy" />
                                <div class="image-buttons">
                                    <button type="button" class="small" disabled={index == 0} on:click=move |_| earlier(index, false) aria-label=lang.t("admin-move-earlier")>"↑"</button>
                                    <button type="button" class="small" disabled={index + 1 >= count} on:click=move |_| later(index, true) aria-label=lang.t("admin-move-later")>"↓"</button>
                                    <button type="button" class="small danger" on:click=move |_| remove(image_id.clone())>{lang.t("admin-remove-image")}</button>
                                </div>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <form node_ref=form class="upload" method="post" enctype="multipart/form-data" action=UploadImages::url() on:submit=on_submit>
                <input type="hidden" name="csrf" value=csrf.clone() />
                <input type="hidden" name="product" value=id.clone() />
                <label for="images-input">{lang.t("admin-choose-files")}</label>
                <input id="images-input" type="file" name="images" multiple accept="image/jpeg,image/png,image/webp" on:change=on_files />
                <ul class="previews">
                    {move || previews.get().into_iter().map(|url| view! { <li><img src=url alt="" /></li> }).collect_view()}
                </ul>
                <button type="submit" class="primary" disabled=move || busy.get()>{lang.t("admin-upload")}</button>
                {move || error.get().map(|e| {
                    let text = match &e {
                        AppError::Refused { detail, title, errors, .. } => {
                            let fields: Vec<String> = errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
                            if fields.is_empty() { detail.clone().unwrap_or_else(|| title.clone()) } else { fields.join("; ") }
                        }
                        other => other.message(lang),
                    };
                    view! { <p class="form-error" role="alert">{text}</p> }
                })}
            </form>
        </section>
    }
}
