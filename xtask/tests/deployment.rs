//! Static checks of the deployment files, since no Docker engine runs on the machines this
//! project is built on: `docker-compose.yml` parses and refers only to services, volumes,
//! networks, build files and variables that exist; each service is health-checked every
//! 30 s and waits for what it needs to be healthy; the Dockerfiles build with the README's
//! command; and every setting they pass is one the programs document.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn compose() -> Yaml {
    let docs = YamlLoader::load_from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
    docs.into_iter().next().expect("one document")
}

fn keys(map: &Yaml) -> BTreeSet<String> {
    map.as_hash().map(|h| h.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn strings(list: &Yaml) -> Vec<String> {
    list.as_vec().map(|v| v.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// The variables `${NAME}`, `${NAME:-default}` and `${NAME:?message}` name, with whether
/// they have a default or a message.
fn variables(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').expect("a closed ${…}");
        let inner = &after[..end];
        let name: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        found.push((name.clone(), inner.len() > name.len()));
        rest = &after[end..];
    }
    found
}

/// The settings `.env.example` documents (`NAME=` lines).
fn documented() -> BTreeSet<String> {
    read(".env.example")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|n| !n.starts_with('#'))
        .collect()
}

#[test]
fn the_services_are_the_four_of_the_deployment() {
    let compose = compose();
    let services = keys(&compose["services"]);
    assert_eq!(services, ["host", "mongodb", "nginx", "web"].map(String::from).into());
    assert_eq!(compose["services"]["mongodb"]["image"].as_str(), Some("mongo:7.0"));
}

#[test]
fn every_service_is_health_checked_every_30_seconds_and_waits_for_healthy_dependencies() {
    let compose = compose();
    let services = keys(&compose["services"]);
    for name in &services {
        let service = &compose["services"][name.as_str()];
        let check = &service["healthcheck"];
        assert!(!strings(&check["test"]).is_empty(), "{name} has a health check");
        assert_eq!(check["interval"].as_str(), Some("30s"), "{name} is checked every 30 s");
        for dependency in keys(&service["depends_on"]) {
            assert!(services.contains(&dependency), "{name} depends on an unknown service {dependency}");
            assert_eq!(
                service["depends_on"][dependency.as_str()]["condition"].as_str(),
                Some("service_healthy"),
                "{name} waits for {dependency} to be healthy"
            );
        }
    }
    assert!(keys(&compose["services"]["nginx"]["depends_on"]).contains("host"));
    assert!(keys(&compose["services"]["host"]["depends_on"]).contains("mongodb"));
}

#[test]
fn only_nginx_is_published_and_the_host_can_scale() {
    let compose = compose();
    for name in ["mongodb", "host", "web"] {
        assert!(compose["services"][name]["ports"].is_badvalue(), "{name} publishes no port");
    }
    let host = &compose["services"]["host"];
    assert!(host["container_name"].is_badvalue(), "a container name would forbid --scale host=3");
    assert!(!strings(&compose["services"]["nginx"]["ports"]).is_empty());
}

#[test]
fn networks_and_volumes_are_declared_and_data_is_on_named_volumes() {
    let compose = compose();
    let networks = keys(&compose["networks"]);
    let volumes = keys(&compose["volumes"]);
    assert_eq!(networks.len(), 1, "one network");
    for name in keys(&compose["services"]) {
        let service = &compose["services"][name.as_str()];
        assert_eq!(strings(&service["networks"]).into_iter().collect::<BTreeSet<_>>(), networks, "{name} is on the network");
        for mount in strings(&service["volumes"]) {
            let source = mount.split(':').next().unwrap();
            assert!(volumes.contains(source), "{name} mounts {source}, which is not a named volume");
        }
    }
    assert!(strings(&compose["services"]["mongodb"]["volumes"]).iter().any(|m| m.ends_with(":/data/db")), "the database is on a volume");
    assert!(
        strings(&compose["services"]["host"]["volumes"]).iter().any(|m| m.ends_with(":/var/lib/shop/uploads")),
        "uploads are on a volume"
    );
}

#[test]
fn builds_name_files_and_stages_that_exist() {
    let compose = compose();
    for name in keys(&compose["services"]) {
        let build = &compose["services"][name.as_str()]["build"];
        if build.is_badvalue() {
            continue;
        }
        let context = root().join(build["context"].as_str().expect("a build context"));
        let dockerfile = context.join(build["dockerfile"].as_str().unwrap_or("Dockerfile"));
        let text = std::fs::read_to_string(&dockerfile).unwrap_or_else(|e| panic!("{name}: {}: {e}", dockerfile.display()));
        if let Some(target) = build["target"].as_str() {
            assert!(
                text.lines().any(|l| l.starts_with("FROM ") && l.ends_with(&format!(" AS {target}"))),
                "{name}: no stage {target} in {}",
                dockerfile.display()
            );
        }
        // Every file copied from the build context exists (a clean clone builds).
        for line in text.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from=")) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            for source in &parts[1..parts.len() - 1] {
                assert!(context.join(source).exists(), "{name}: {line}: {source} does not exist");
            }
        }
        for line in text.lines().filter(|l| l.starts_with("USER ")) {
            assert_ne!(line.trim(), "USER root", "{name} runs as an unprivileged user");
        }
    }
}

#[test]
fn the_images_run_as_non_root_and_build_with_the_readme_command() {
    let dockerfile = read("Dockerfile");
    let readme = read("README.md");
    assert!(dockerfile.contains("cargo xtask build"), "the image builds with the project's own command");
    assert!(readme.contains("cargo xtask build"), "the README names that command");
    for stage in ["host", "web"] {
        let body = dockerfile.split(&format!(" AS {stage}\n")).nth(1).expect("the stage").split("\nFROM ").next().unwrap();
        assert!(body.contains("\nUSER shop"), "the {stage} image runs as the shop user");
        assert!(body.contains("HEALTHCHECK"), "the {stage} image has a health check");
    }
}

#[test]
fn every_variable_compose_reads_is_documented_and_secrets_have_no_default() {
    let text = read("docker-compose.yml");
    let documented = documented();
    for (name, _) in variables(&text) {
        assert!(documented.contains(&name), "docker-compose.yml reads ${{{name}}}, which .env.example does not document");
    }
    for secret in ["MONGO_ROOT_PASSWORD", "JWT_SECRET"] {
        assert!(text.contains(&format!("${{{secret}:?")), "{secret} must be set, never defaulted");
    }
}

#[test]
fn every_setting_passed_to_the_programs_is_one_they_document() {
    let compose = compose();
    let documented = documented();
    for name in ["host", "web", "nginx"] {
        for setting in keys(&compose["services"][name]["environment"]) {
            assert!(documented.contains(&setting), "{name} is given {setting}, which .env.example does not document");
        }
    }
    for line in read("Dockerfile").lines() {
        let line = line.trim().trim_start_matches("ENV ").trim_end_matches('\\').trim();
        if let Some((name, _)) = line.split_once('=')
            && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        {
            assert!(documented.contains(name), "the Dockerfile sets {name}, which .env.example does not document");
        }
    }
}

#[test]
fn nginx_gets_every_setting_render_sh_requires() {
    let compose = compose();
    let given = keys(&compose["services"]["nginx"]["environment"]);
    let render = read("nginx/render.sh");
    // Required settings are the `: "${NAME:?…}"` lines; the certificate comes from the entrypoint.
    let entrypoint = read("nginx/docker-entrypoint.sh");
    for line in render.lines().filter(|l| l.starts_with(": \"${")) {
        let name = &variables(line)[0].0;
        assert!(given.contains(name) || entrypoint.contains(&format!("export {name}=")), "nginx needs {name}");
    }
    // And every template setting has a value or a default in render.sh.
    for (name, _) in variables(&read("nginx/templates/shop.conf.template")) {
        assert!(render.contains(&format!("{name}=")) || render.contains(&format!("${{{name}:?")), "render.sh gives {name} no value");
    }
}

#[test]
fn variables_are_found_with_and_without_defaults() {
    assert_eq!(variables("a ${X} b ${Y_2:-d} ${Z:?say}"), vec![("X".into(), false), ("Y_2".into(), true), ("Z".into(), true)]);
}
