//! The `config` capability: the variables the manifest grants each component.
//!
//! A component's variables are `[component.<id>.variables]` in `spin.toml`: a literal, or
//! `{{ name }}` naming an application variable. Application variables resolve as in Spin's
//! environment provider: `SPIN_VARIABLE_<NAME>` from the environment, else the manifest's
//! `default`. A component asking for a key it was not granted gets none.

use crate::bindings::shop::platform::config;
use crate::manifest::Manifest;
use crate::runtime::state::HostState;
use std::collections::HashMap;

/// The resolved variables of every component, by component id then key.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    by_component: HashMap<String, HashMap<String, String>>,
}

impl Variables {
    /// Resolves the manifest's variables through `env` (the process environment in production).
    pub fn resolve(manifest: &Manifest, env: impl Fn(&str) -> Option<String>) -> Self {
        let app = |name: &str| -> Option<String> {
            env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).or_else(|| manifest.variables.get(name).cloned().flatten())
        };
        let by_component = manifest
            .components
            .iter()
            .map(|(id, entry)| {
                let values = entry
                    .variables
                    .iter()
                    .filter_map(|(key, template)| {
                        let value = match template.trim().strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
                            Some(name) => app(name.trim())?,
                            None => template.clone(),
                        };
                        Some((key.clone(), value))
                    })
                    .collect();
                (id.clone(), values)
            })
            .collect();
        Self { by_component }
    }

    /// The value of `key` for `component`, if granted and set.
    pub fn get(&self, component: &str, key: &str) -> Option<String> {
        self.by_component.get(component)?.get(key).cloned()
    }
}

impl config::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.runtime.variables.get(&self.component, &key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_see_only_their_variables() {
        let manifest = Manifest::parse(
            r#"
            spin_manifest_version = 2
            [variables]
            secret = { default = "fallback" }
            [component.a]
            source = "a.wasm"
            [component.a.variables]
            token = "{{ secret }}"
            greeting = "hello"
            [component.b]
            source = "b.wasm"
            "#,
        )
        .unwrap();
        let vars = Variables::resolve(&manifest, |name| (name == "SPIN_VARIABLE_SECRET").then(|| "from-env".to_owned()));
        assert_eq!(vars.get("a", "token").as_deref(), Some("from-env"));
        assert_eq!(vars.get("a", "greeting").as_deref(), Some("hello"));
        assert_eq!(vars.get("b", "token"), None);
        let vars = Variables::resolve(&manifest, |_| None);
        assert_eq!(vars.get("a", "token").as_deref(), Some("fallback"));
    }
}
