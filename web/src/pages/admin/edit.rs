//! Creating and editing a product, with the API's message beside each field (its images are
//! managed by `images::ImageManager` on the same page).

use super::{ActionError, AdminFrame, AdminInfo, Field, current_admin};
use crate::components::ErrorPanel;
use crate::i18n::use_lang;
use crate::model::{AppError, Category, InLang, Product};
use leptos::prelude::*;
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
                            <AdminFrame info=info.clone() title=format!("{}: {}", lang.t("admin-edit-product"), product.name.in_lang(lang))>
                                <ProductForm info=info.clone() product=Some(product.clone()) categories version />
                                <super::images::ImageManager info product version />
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
    let status = product.as_ref().map(|p| p.status.as_str()).unwrap_or("draft");
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
                <Field name="name_en" label=lang.t("admin-name-en") value=text(|p| p.name.en.clone().unwrap_or_default()) error=field("name.en") dir="ltr" required=true />
                <Field name="name_ar" label=lang.t("admin-name-ar") value=text(|p| p.name.ar.clone().unwrap_or_default()) error=field("name.ar") dir="rtl" />
                <Field name="description_en" label=lang.t("admin-description-en") value=text(|p| p.description.en.clone().unwrap_or_default()) error=field("description.en") dir="ltr" multiline=true />
                <Field name="description_ar" label=lang.t("admin-description-ar") value=text(|p| p.description.ar.clone().unwrap_or_default()) error=field("description.ar") dir="rtl" multiline=true />
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
                            view! { <option value=c.id.clone() selected=selected>{c.name.in_lang(lang).to_owned()}</option> }
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
