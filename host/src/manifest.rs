//! The application manifest (`spin.toml`, Spin manifest v2): the single source of truth for
//! which component serves which routes and which variables each component may read.
//!
//! The same file deploys the shop on Spin. The host reads it with one difference: the
//! components in [`HOST_NATIVE`] stand in, under Spin, for something the host does itself,
//! so the host leaves them and their routes out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What the host needs from the manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Route prefixes and the component that owns each, longest prefix first.
    pub routes: Vec<Route>,
    /// The components, by id, with the variables each may read.
    pub components: BTreeMap<String, ComponentEntry>,
    /// Application variables and their defaults.
    pub variables: HashMap<String, Option<String>>,
}

/// One HTTP route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The path it matches: exactly, or with everything under it when `wildcard`.
    pub base: String,
    /// Whether the route ended in `/...` (Spin's trailing wildcard).
    pub wildcard: bool,
    /// The component serving it.
    pub component: String,
}

impl Route {
    /// Whether the route serves this path.
    pub fn matches(&self, path: &str) -> bool {
        if self.wildcard {
            path == self.base || self.base == "/" || path.strip_prefix(&self.base).is_some_and(|rest| rest.starts_with('/'))
        } else {
            path == self.base
        }
    }
}

/// One component of the manifest.
#[derive(Debug, Clone, Default)]
pub struct ComponentEntry {
    /// `[component.<id>.variables]`: the variables it may read, each a literal or a
    /// `{{ application_variable }}` template.
    pub variables: HashMap<String, String>,
}

/// Why the manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read the manifest {path}: {source}")]
    Read {
        /// The manifest's path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid manifest.
    #[error("the manifest {path} is invalid: {reason}")]
    Invalid {
        /// The manifest's path.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Components that exist only for Spin, because the host does their job natively: `uploads`
/// serves `/uploads/*` from `blobs`, which the host serves from its uploads directory.
pub const HOST_NATIVE: [&str; 1] = ["uploads"];

#[derive(serde::Deserialize)]
struct Raw {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: HashMap<String, RawVariable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(serde::Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(serde::Deserialize)]
struct RawHttpTrigger {
    route: String,
    component: String,
}

#[derive(serde::Deserialize)]
struct RawVariable {
    default: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawComponent {
    #[serde(default)]
    variables: HashMap<String, String>,
}

impl Manifest {
    /// Reads and checks a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text).map_err(|reason| ManifestError::Invalid { path: path.display().to_string(), reason })
    }

    /// Parses manifest text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
        if raw.spin_manifest_version != 2 {
            return Err(format!("spin_manifest_version is {}, expected 2", raw.spin_manifest_version));
        }
        let mut routes = Vec::new();
        for trigger in raw.trigger.http {
            if !raw.component.contains_key(&trigger.component) {
                return Err(format!("route {} names an undefined component {:?}", trigger.route, trigger.component));
            }
            if HOST_NATIVE.contains(&trigger.component.as_str()) {
                continue;
            }
            if !trigger.route.starts_with('/') {
                return Err(format!("route {:?} must start with /", trigger.route));
            }
            let (base, wildcard) = match trigger.route.strip_suffix("/...") {
                Some(base) => (if base.is_empty() { "/".to_owned() } else { base.to_owned() }, true),
                None => (trigger.route.clone(), false),
            };
            routes.push(Route { base, wildcard, component: trigger.component });
        }
        // Longest (most specific) first; exact before wildcard at the same length.
        routes.sort_by(|a, b| b.base.len().cmp(&a.base.len()).then(a.wildcard.cmp(&b.wildcard)));
        raw.component.retain(|id, _| !HOST_NATIVE.contains(&id.as_str()));
        let components = raw.component.into_iter().map(|(id, c)| (id, ComponentEntry { variables: c.variables })).collect();
        let variables = raw.variables.into_iter().map(|(name, v)| (name, v.default)).collect();
        Ok(Self { routes, components, variables })
    }

    /// The route serving a path, if any.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|route| route.matches(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
        spin_manifest_version = 2
        [application]
        name = "shop"
        [[trigger.http]]
        route = "/api/categories/..."
        component = "catalog"
        [[trigger.http]]
        route = "/api/categories/special"
        component = "other"
        [component.catalog]
        source = "catalog.wasm"
        [component.other]
        source = "other.wasm"
    "#;

    #[test]
    fn longest_route_wins() {
        let manifest = Manifest::parse(MANIFEST).unwrap();
        assert_eq!(manifest.route("/api/categories").unwrap().component, "catalog");
        assert_eq!(manifest.route("/api/categories/42").unwrap().component, "catalog");
        assert_eq!(manifest.route("/api/categories/special").unwrap().component, "other");
        assert!(manifest.route("/api/categoriesx").is_none());
        assert!(manifest.route("/").is_none());
    }

    #[test]
    fn spin_only_components_are_left_to_spin() {
        let text = format!(
            "{MANIFEST}\n[[trigger.http]]\nroute = \"/uploads/...\"\ncomponent = \"uploads\"\n[component.uploads]\nsource = \"uploads.wasm\"\n"
        );
        let manifest = Manifest::parse(&text).unwrap();
        assert!(manifest.route("/uploads/a.webp").is_none(), "the host serves uploads itself");
        assert!(!manifest.components.contains_key("uploads"));
        assert!(manifest.components.contains_key("catalog"));
    }

    #[test]
    fn undefined_components_are_refused() {
        let text = MANIFEST.replace("component = \"other\"", "component = \"ghost\"");
        assert!(Manifest::parse(&text).unwrap_err().contains("ghost"));
    }
}
