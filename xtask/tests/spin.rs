//! Static checks of the Spin deployment, since the Spin CLI cannot be installed from the
//! package registries these machines reach.
//!
//! - Every import of each composed component (`dist/spin/*.wasm`, made by `cargo xtask
//!   build`) is an interface that Spin provides, and each imported *function* has exactly
//!   the type Spin's WIT gives it. Spin links imports as wasmtime does: a name matches the
//!   newest definition on the same semver track, then every function is type-checked, so
//!   comparing version strings alone would miss a function Spin's version lacks.
//! - Each exports `wasi:http/incoming-handler` on the 0.2 track, with Spin's type.
//! - `spin.toml` grants what the adapters open, names files the build makes, and routes like
//!   the host.
//!
//! Spin's WIT comes from the `spin-sdk` 5.2.0 crate (a `cfg(any())` dev-dependency, so it is
//! downloaded from crates.io and never compiled): its `wit/` directory carries Spin's own
//! `spin:up@3.6.0` worlds, the newest Spin publishes in a registry. Spin 4.0.2 serves every
//! 3.x world; its newer SDK (6.x) adds only async variants, which a WASI 0.2 component
//! cannot call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{Function, FunctionKind, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner, WorldId, WorldItem};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The `wit/` directory of the spin-sdk release that the lock file pins.
fn spin_wit_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
        .arg(root().join("xtask/Cargo.toml"))
        .output()
        .expect("running cargo metadata");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let package = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "spin-sdk" && p["version"] == "5.2.0")
        .expect("spin-sdk 5.2.0 in the resolve (xtask's cfg(any()) dev-dependency)");
    Path::new(package["manifest_path"].as_str().unwrap()).parent().unwrap().join("wit")
}

/// Spin's WIT and its `platform` world (everything Spin gives a component to import), read
/// once for all the tests.
fn spin() -> &'static (Resolve, WorldId) {
    static SPIN: std::sync::OnceLock<(Resolve, WorldId)> = std::sync::OnceLock::new();
    SPIN.get_or_init(read_spin)
}

fn read_spin() -> (Resolve, WorldId) {
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(spin_wit_dir()).expect("Spin's WIT parses");
    let world = resolve.select_world(&[package], Some("platform")).expect("spin:up has a platform world");
    let name = &resolve.packages[resolve.worlds[world].package.unwrap()].name;
    assert_eq!(name.to_string(), "spin:up@3.6.0", "the reference is Spin's own world");
    (resolve, world)
}

/// A component's WIT, decoded from its binary.
fn component(name: &str) -> (Resolve, WorldId) {
    let path = root().join("dist/spin").join(format!("{name}.wasm"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build`)", path.display()));
    match decode(&bytes).unwrap_or_else(|e| panic!("{}: {e:#}", path.display())) {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => panic!("{} is a WIT package, not a component", path.display()),
    }
}

/// `namespace:package/interface` and the package's version.
fn interface_name(resolve: &Resolve, id: InterfaceId) -> (String, Option<semver::Version>) {
    let interface = &resolve.interfaces[id];
    let package = &resolve.packages[interface.package.expect("a package's interface")];
    (format!("{}:{}/{}", package.name.namespace, package.name.name, interface.name.as_deref().unwrap_or("?")), package.name.version.clone())
}

/// Whether two versions are on one semver track, as wasmtime's linker decides: same major,
/// and for 0.x the same minor; a pre-release only matches itself.
fn same_track(a: &Option<semver::Version>, b: &Option<semver::Version>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if !a.pre.is_empty() || !b.pre.is_empty() => a == b,
        (Some(a), Some(b)) if a.major == 0 => b.major == 0 && a.minor == b.minor,
        (Some(a), Some(b)) => a.major == b.major,
        (None, None) => true,
        _ => false,
    }
}

/// The newest interface of `candidates` with this name on the version's track.
fn provider(resolve: &Resolve, candidates: &[InterfaceId], name: &str, version: &Option<semver::Version>) -> Option<InterfaceId> {
    candidates
        .iter()
        .map(|id| (*id, interface_name(resolve, *id)))
        .filter(|(_, (n, v))| n == name && same_track(v, version))
        .max_by(|(_, (_, a)), (_, (_, b))| a.cmp(b))
        .map(|(id, _)| id)
}

/// Compares types across two resolves, structurally (as the component model type-checks
/// an import), naming resources by their interface.
struct Compare<'a> {
    ours: &'a Resolve,
    spin: &'a Resolve,
}

fn dealias(resolve: &Resolve, mut ty: Type) -> Type {
    while let Type::Id(id) = ty {
        match resolve.types[id].kind {
            TypeDefKind::Type(inner) => ty = inner,
            _ => break,
        }
    }
    ty
}

fn owner(resolve: &Resolve, id: TypeId) -> String {
    let def = &resolve.types[id];
    let interface = match def.owner {
        TypeOwner::Interface(i) => interface_name(resolve, i).0,
        TypeOwner::World(_) => "world".into(),
        TypeOwner::None => String::new(),
    };
    format!("{interface}#{}", def.name.as_deref().unwrap_or("_"))
}

fn kind(f: &Function) -> &'static str {
    match f.kind {
        FunctionKind::Freestanding => "func",
        FunctionKind::AsyncFreestanding => "async func",
        FunctionKind::Method(_) => "method",
        FunctionKind::AsyncMethod(_) => "async method",
        FunctionKind::Static(_) => "static",
        FunctionKind::AsyncStatic(_) => "async static",
        FunctionKind::Constructor(_) => "constructor",
    }
}

impl Compare<'_> {
    fn function(&self, ours: &Function, spin: &Function) -> Result<(), String> {
        if kind(ours) != kind(spin) {
            return Err(format!("is a {} here but a {} in Spin", kind(ours), kind(spin)));
        }
        if ours.params.len() != spin.params.len() {
            return Err(format!("takes {} parameters here but {} in Spin", ours.params.len(), spin.params.len()));
        }
        for (a, b) in ours.params.iter().zip(&spin.params) {
            self.ty(a.ty, b.ty).map_err(|e| format!("parameter {}: {e}", b.name))?;
        }
        self.optional(ours.result, spin.result).map_err(|e| format!("result: {e}"))
    }

    fn optional(&self, a: Option<Type>, b: Option<Type>) -> Result<(), String> {
        match (a, b) {
            (None, None) => Ok(()),
            (Some(a), Some(b)) => self.ty(a, b),
            _ => Err("present on one side only".into()),
        }
    }

    fn ty(&self, a: Type, b: Type) -> Result<(), String> {
        match (dealias(self.ours, a), dealias(self.spin, b)) {
            (Type::Id(a), Type::Id(b)) => self.def(a, b),
            (Type::Id(_), b) | (b, Type::Id(_)) => Err(format!("a defined type against {b:?}")),
            (a, b) if a == b => Ok(()),
            (a, b) => Err(format!("{a:?} against {b:?}")),
        }
    }

    fn def(&self, a: TypeId, b: TypeId) -> Result<(), String> {
        let names = |x: Vec<&str>, y: Vec<&str>, what: &str| if x == y { Ok(()) } else { Err(format!("{what} {x:?} against {y:?}")) };
        match (&self.ours.types[a].kind, &self.spin.types[b].kind) {
            (TypeDefKind::Record(x), TypeDefKind::Record(y)) => {
                names(
                    x.fields.iter().map(|f| f.name.as_str()).collect(),
                    y.fields.iter().map(|f| f.name.as_str()).collect(),
                    "record fields",
                )?;
                x.fields.iter().zip(&y.fields).try_for_each(|(f, g)| self.ty(f.ty, g.ty).map_err(|e| format!("field {}: {e}", f.name)))
            }
            (TypeDefKind::Variant(x), TypeDefKind::Variant(y)) => {
                names(
                    x.cases.iter().map(|c| c.name.as_str()).collect(),
                    y.cases.iter().map(|c| c.name.as_str()).collect(),
                    "variant cases",
                )?;
                x.cases.iter().zip(&y.cases).try_for_each(|(c, d)| self.optional(c.ty, d.ty).map_err(|e| format!("case {}: {e}", c.name)))
            }
            (TypeDefKind::Enum(x), TypeDefKind::Enum(y)) => {
                names(x.cases.iter().map(|c| c.name.as_str()).collect(), y.cases.iter().map(|c| c.name.as_str()).collect(), "enum cases")
            }
            (TypeDefKind::Flags(x), TypeDefKind::Flags(y)) => {
                names(x.flags.iter().map(|f| f.name.as_str()).collect(), y.flags.iter().map(|f| f.name.as_str()).collect(), "flags")
            }
            (TypeDefKind::Tuple(x), TypeDefKind::Tuple(y)) if x.types.len() == y.types.len() => {
                x.types.iter().zip(&y.types).try_for_each(|(s, t)| self.ty(*s, *t))
            }
            (TypeDefKind::Option(x), TypeDefKind::Option(y)) | (TypeDefKind::List(x), TypeDefKind::List(y)) => self.ty(*x, *y),
            (TypeDefKind::Result(x), TypeDefKind::Result(y)) => {
                self.optional(x.ok, y.ok).map_err(|e| format!("ok: {e}"))?;
                self.optional(x.err, y.err).map_err(|e| format!("error: {e}"))
            }
            (TypeDefKind::Future(x), TypeDefKind::Future(y)) | (TypeDefKind::Stream(x), TypeDefKind::Stream(y)) => self.optional(*x, *y),
            (TypeDefKind::Handle(Handle::Own(x)), TypeDefKind::Handle(Handle::Own(y)))
            | (TypeDefKind::Handle(Handle::Borrow(x)), TypeDefKind::Handle(Handle::Borrow(y))) => self.ty(Type::Id(*x), Type::Id(*y)),
            (TypeDefKind::Resource, TypeDefKind::Resource) => {
                let (x, y) = (owner(self.ours, a), owner(self.spin, b));
                if x == y { Ok(()) } else { Err(format!("resource {x} against {y}")) }
            }
            (x, y) => Err(format!("{} against {}", x.as_str(), y.as_str())),
        }
    }
}

/// Every way the component's imports or its HTTP export differ from what Spin provides.
fn mismatches(name: &str) -> (Vec<String>, Vec<String>) {
    let (spin, platform) = spin();
    let (ours, world) = component(name);
    let platform = *platform;
    let provided: Vec<InterfaceId> = spin.worlds[platform]
        .imports
        .values()
        .filter_map(|item| match item {
            WorldItem::Interface { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let compare = Compare { ours: &ours, spin };
    let mut problems = Vec::new();
    let mut imported = Vec::new();
    for item in ours.worlds[world].imports.values() {
        let WorldItem::Interface { id, .. } = item else {
            problems.push(format!("{name} imports a bare function or type; Spin provides only interfaces"));
            continue;
        };
        let (interface, version) = interface_name(&ours, *id);
        let shown = format!("{interface}@{}", version.as_ref().map(ToString::to_string).unwrap_or_default());
        imported.push(shown.clone());
        let Some(theirs) = provider(spin, &provided, &interface, &version) else {
            problems.push(format!("{shown}: Spin provides no {interface} on this version's track"));
            continue;
        };
        for (function, f) in &ours.interfaces[*id].functions {
            match spin.interfaces[theirs].functions.get(function) {
                None => problems.push(format!("{shown}: Spin's {interface}@{} has no {function}", interface_name(spin, theirs).1.unwrap())),
                Some(g) => {
                    if let Err(e) = compare.function(f, g) {
                        problems.push(format!("{shown}: {function} {e}"));
                    }
                }
            }
        }
    }
    // The HTTP trigger calls `wasi:http/incoming-handler.handle` (any 0.2.x export).
    let all: Vec<InterfaceId> = spin.interfaces.iter().map(|(id, _)| id).collect();
    let handler = ours.worlds[world].exports.values().find_map(|item| match item {
        WorldItem::Interface { id, .. } if interface_name(&ours, *id).0 == "wasi:http/incoming-handler" => Some(*id),
        _ => None,
    });
    match handler {
        None => problems.push(format!("{name} exports no wasi:http/incoming-handler")),
        Some(id) => {
            let version = interface_name(&ours, id).1;
            match provider(spin, &all, "wasi:http/incoming-handler", &version) {
                None => {
                    problems.push(format!("{name} exports wasi:http/incoming-handler@{version:?}, which Spin's HTTP trigger does not call"))
                }
                Some(theirs) => {
                    let (f, g) = (&ours.interfaces[id].functions["handle"], &spin.interfaces[theirs].functions["handle"]);
                    if let Err(e) = compare.function(f, g) {
                        problems.push(format!("incoming-handler.handle {e}"));
                    }
                }
            }
        }
    }
    (problems, imported)
}

fn check(name: &str, must_import: &[&str]) {
    let (problems, imported) = mismatches(name);
    eprintln!("{name} imports {}", imported.join(", "));
    assert!(problems.is_empty(), "{name} would not link on Spin 4.0.2:\n  {}", problems.join("\n  "));
    for wanted in must_import {
        assert!(imported.iter().any(|i| i.starts_with(wanted)), "{name} should import {wanted} (its adapters); it imports {imported:?}");
    }
    assert!(!imported.iter().any(|i| i.starts_with("shop:platform/")), "composition left a shop:platform import in {name}: {imported:?}");
}

#[test]
fn auth_imports_only_what_spin_provides() {
    check("auth", &["spin:sqlite/sqlite@3", "fermyon:spin/variables@2"]);
}

#[test]
fn catalog_imports_only_what_spin_provides() {
    check("catalog", &["spin:sqlite/sqlite@3", "fermyon:spin/key-value@2", "fermyon:spin/variables@2"]);
}

#[test]
fn orders_imports_only_what_spin_provides() {
    check("orders", &["spin:sqlite/sqlite@3", "fermyon:spin/variables@2"]);
}

#[test]
fn uploads_imports_only_what_spin_provides() {
    check("uploads", &["fermyon:spin/key-value@2"]);
}

#[test]
fn the_check_catches_a_function_spin_lacks_and_a_changed_type() {
    // The same comparison on two hand-made interfaces, so a broken comparer cannot pass.
    let mut spin = Resolve::default();
    spin.push_str(
        "spin.wit",
        "package spin:sqlite@3.0.0;\ninterface sqlite { record row { values: list<s64> } run: func(sql: string) -> result<row, string>; }",
    )
    .unwrap();
    let mut ours = Resolve::default();
    ours.push_str(
        "ours.wit",
        "package spin:sqlite@3.1.0;\ninterface sqlite { record row { values: list<s32> } run: func(sql: string) -> result<row, string>; open: func(); }",
    )
    .unwrap();
    let find = |r: &Resolve| r.interfaces.iter().next().unwrap().0;
    let (a, b) = (find(&ours), find(&spin));
    assert_eq!(provider(&spin, &[b], "spin:sqlite/sqlite", &interface_name(&ours, a).1), Some(b), "3.1.0 is on 3.0.0's track");
    assert!(provider(&spin, &[b], "spin:sqlite/sqlite", &Some(semver::Version::new(4, 0, 0))).is_none());
    let compare = Compare { ours: &ours, spin: &spin };
    let error = compare.function(&ours.interfaces[a].functions["run"], &spin.interfaces[b].functions["run"]).unwrap_err();
    assert!(error.contains("S32"), "{error}");
    assert!(!spin.interfaces[b].functions.contains_key("open"));
}

/// `spin.toml`: routes like the host's, sources the build makes, stores the adapters open.
#[test]
fn the_manifest_deploys_the_composed_components() {
    let manifest: toml::Value = toml::from_str(&std::fs::read_to_string(root().join("spin.toml")).unwrap()).unwrap();
    assert_eq!(manifest["spin_manifest_version"].as_integer(), Some(2));
    let components = manifest["component"].as_table().unwrap();
    let mut routes = BTreeMap::new();
    for trigger in manifest["trigger"]["http"].as_array().unwrap() {
        routes.insert(trigger["route"].as_str().unwrap().to_owned(), trigger["component"].as_str().unwrap().to_owned());
    }
    for (route, component) in [
        ("/api/auth/...", "auth"),
        ("/api/users/...", "auth"),
        ("/api/categories/...", "catalog"),
        ("/api/products/...", "catalog"),
        ("/api/cart/...", "orders"),
        ("/api/checkout/...", "orders"),
        ("/api/orders/...", "orders"),
        ("/uploads/...", "uploads"),
    ] {
        assert_eq!(routes.get(route).map(String::as_str), Some(component), "{route}");
    }
    let declared = manifest["variables"].as_table().unwrap();
    for (id, component) in components {
        let source = component["source"].as_str().unwrap();
        assert!(root().join(source).is_file(), "component {id}: {source} does not exist (run `cargo xtask build`)");
        for (name, value) in component.get("variables").and_then(|v| v.as_table()).into_iter().flatten() {
            let template = value.as_str().unwrap().trim();
            let variable = template.trim_start_matches("{{").trim_end_matches("}}").trim();
            assert!(declared.contains_key(variable), "component {id}: {name} = {template} names no application variable");
        }
    }
    let grants = |id: &str, key: &str| {
        components[id]
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str()).any(|s| s == "default"))
            .unwrap_or(false)
    };
    for id in ["auth", "catalog", "orders", "uploads"] {
        assert!(components[id]["source"].as_str().unwrap().starts_with("dist/spin/"), "{id} runs composed under Spin");
        let (_, imported) = mismatches(id);
        if imported.iter().any(|i| i.starts_with("spin:sqlite/")) {
            assert!(grants(id, "sqlite_databases"), "{id} opens the SQLite database \"default\": spin.toml must grant it");
        }
        if imported.iter().any(|i| i.starts_with("fermyon:spin/key-value")) {
            assert!(grants(id, "key_value_stores"), "{id} opens the key-value store \"default\": spin.toml must grant it");
        }
    }
    // Composed into catalog and orders, the auth instance verifies tokens with the signing key.
    assert!(components["catalog"]["variables"].get("jwt_secret").is_some());
    assert!(components["orders"]["variables"].get("jwt_secret").is_some());
}
