//! `multipart/form-data` bodies (file uploads), read whole under strict limits.
//!
//! The host has already refused bodies over its own cap, so the body is read into memory
//! and parsed by `multer`; the limits here are the route's own (which fields, how many
//! parts, how large each).

use bytes::Bytes;
use http::header;
use shop_domain::Problem;
use wstd::http::{Body, Request};

/// One part of a form.
#[derive(Debug, Clone)]
pub struct Part {
    /// The form field's name.
    pub name: String,
    /// The file name the client gave, if any (never trusted, only echoed in errors).
    pub file_name: Option<String>,
    /// The bytes (sharing the body's buffer).
    pub bytes: Bytes,
}

impl Part {
    /// How errors name this part: `images[2]` (the third part of field `images`).
    pub fn label(&self, index: usize) -> String {
        format!("{}[{index}]", self.name)
    }
}

/// What a route accepts.
#[derive(Debug, Clone)]
pub struct FormLimits {
    /// The field names accepted; any other is refused.
    pub fields: &'static [&'static str],
    /// The most parts in one body.
    pub max_parts: usize,
    /// The largest part, in bytes.
    pub max_part_bytes: u64,
}

/// Whether the request carries a multipart form (by its `Content-Type`).
pub fn is_multipart(request: &Request<Body>) -> bool {
    content_type(request).split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("multipart/form-data")
}

fn content_type(request: &Request<Body>) -> &str {
    request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Reads every part of a `multipart/form-data` body, or answers why not: 415 for another
/// type, 400 for a malformed body, 413 for a part over the limit, 422 for an unknown field
/// or too many parts (each naming the field).
pub async fn read_form(request: &mut Request<Body>, limits: &FormLimits) -> Result<Vec<Part>, Problem> {
    if !is_multipart(request) {
        return Err(Problem::unsupported_media_type("multipart/form-data"));
    }
    let content_type = content_type(request).to_owned();
    let body = request
        .body_mut()
        .bytes_contents()
        .await
        .map_err(|e| Problem::new(400, "unreadable-body", "The request body could not be read").with_detail(e.to_string()))?;
    parse_form(&content_type, body, limits).await
}

/// Parses a whole `multipart/form-data` body read into memory, given the request's
/// `Content-Type` (which carries the boundary). The future never waits: the body is all
/// there, so it is ready at its first poll (the fuzz target relies on that).
pub async fn parse_form(content_type: &str, body: Bytes, limits: &FormLimits) -> Result<Vec<Part>, Problem> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| malformed("the Content-Type has no usable boundary"))?;
    let constraints = multer::Constraints::new()
        .allowed_fields(limits.fields.to_vec())
        .size_limit(multer::SizeLimit::new().per_field(limits.max_part_bytes));
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut parts = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err(refusal(error, limits, parts.len())),
        };
        if parts.len() == limits.max_parts {
            return Err(too_many(limits));
        }
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|error| refusal(error, limits, parts.len()))?;
        parts.push(Part { name, file_name, bytes });
    }
    if parts.is_empty() {
        return Err(Problem::new(422, "validation", "Some fields are invalid")
            .with_detail("The form has no parts.")
            .with_field(limits.fields.first().copied().unwrap_or(""), "is required"));
    }
    Ok(parts)
}

fn malformed(detail: &str) -> Problem {
    Problem::new(400, "malformed-multipart", "Malformed multipart body").with_detail(detail.to_owned())
}

fn too_many(limits: &FormLimits) -> Problem {
    Problem::new(422, "too-many-parts", "Too many parts")
        .with_detail(format!("A request may carry at most {} parts.", limits.max_parts))
        .with_field(limits.fields.first().copied().unwrap_or(""), format!("at most {} files per request", limits.max_parts))
}

fn refusal(error: multer::Error, limits: &FormLimits, index: usize) -> Problem {
    match error {
        multer::Error::UnknownField { field_name } => {
            let name = field_name.unwrap_or_default();
            Problem::new(422, "validation", "Some fields are invalid")
                .with_detail(format!("The form may only have the fields {}.", limits.fields.join(", ")))
                .with_field(name, "is not a field of this form")
        }
        multer::Error::FieldSizeExceeded { limit, field_name } => Problem::new(413, "part-too-large", "A part is too large")
            .with_detail(format!("Each part may be at most {limit} bytes."))
            .with_field(format!("{}[{index}]", field_name.unwrap_or_default()), format!("is over {limit} bytes")),
        other => malformed(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    const LIMITS: FormLimits = FormLimits { fields: &["images"], max_parts: 2, max_part_bytes: 8 };

    fn parse(content_type: &str, body: &str) -> Result<Vec<Part>, Problem> {
        parse_form(content_type, Bytes::copy_from_slice(body.as_bytes()), &LIMITS).now_or_never().expect("ready at once")
    }

    fn part(name: &str, bytes: &str) -> String {
        format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"x.jpg\"\r\n\r\n{bytes}\r\n")
    }

    #[test]
    fn a_form_is_read_within_its_limits_or_refused_naming_why() {
        let form = "multipart/form-data; boundary=b";
        let parts = parse(form, &format!("{}{}--b--\r\n", part("images", "abc"), part("images", "12345678"))).unwrap();
        assert_eq!(
            parts.iter().map(|p| (p.name.as_str(), p.bytes.as_ref())).collect::<Vec<_>>(),
            [("images", &b"abc"[..]), ("images", &b"12345678"[..])]
        );
        assert_eq!(parts[0].file_name.as_deref(), Some("x.jpg"));
        let status = |body: String| parse(form, &body).map(|_| ()).unwrap_err().status;
        assert_eq!(status(format!("{}--b--\r\n", part("images", "123456789"))), 413, "a part over the limit");
        assert_eq!(status(format!("{}--b--\r\n", part("name", "x"))), 422, "an unknown field");
        assert_eq!(status(format!("{0}{0}{0}--b--\r\n", part("images", "x"))), 422, "too many parts");
        assert_eq!(status("--b--\r\n".into()), 422, "no parts");
        assert_eq!(status(part("images", "never closed")), 400, "a truncated body");
        assert_eq!(parse("multipart/form-data", "").unwrap_err().status, 400, "no boundary");
    }
}
