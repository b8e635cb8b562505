//! A product's images in the dashboard: upload with previews, reorder, remove.

use super::AdminInfo;
use crate::i18n::use_lang;
use crate::model::{AppError, Image, Product};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

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

/// The image list of a product being edited, and the form that adds to it.
#[component]
pub fn ImageManager(info: AdminInfo, product: Product, version: RwSignal<u64>) -> impl IntoView {
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
