//! The deployment files stay valid: the systemd unit passes `systemd-analyze verify`
//! (where systemd's tools are installed), with this build's binary in place.

use std::process::Command;

#[test]
fn the_systemd_unit_verifies() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed: the unit is not verified here");
        return;
    }
    let unit = include_str!("../../../deploy/weft.service")
        .replace("/usr/local/bin/weft", env!("CARGO_BIN_EXE_weft"));
    let dir = std::env::temp_dir().join(format!("weft-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("weft.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", path.to_str().unwrap()])
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("weft.service"),
        "systemd-analyze has remarks on the unit: {said}"
    );
}

fn compose() -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(include_str!("../../../deploy/compose.yaml"))
        .expect("deploy/compose.yaml is YAML")
}

fn strings(value: &serde_yaml_ng::Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The compose file runs Weft, PostgreSQL and Caddy the way the README says: each with
/// what it needs, health checks where something waits on them, data in named volumes.
/// Checked by `docker compose config` where the compose plugin is installed too.
#[test]
fn the_compose_file_holds_together() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let c = compose();
    let services = &c["services"];
    for name in ["weft", "postgres", "caddy"] {
        assert!(services[name].is_mapping(), "service {name}");
    }
    let weft = &services["weft"];
    let build = &weft["build"];
    let dockerfile = root
        .join("deploy")
        .join(build["context"].as_str().unwrap())
        .join(build["dockerfile"].as_str().unwrap());
    assert!(dockerfile.is_file(), "{}", dockerfile.display());
    assert_eq!(
        strings(&weft["healthcheck"]["test"]),
        ["CMD", "weft", "health"]
    );
    assert!(strings(&weft["volumes"]).contains(&"weft-data:/var/lib/weft".to_string()));
    let env = &weft["environment"];
    assert!(
        env["WEFT_DOMAIN"]
            .as_str()
            .unwrap()
            .contains("${WEFT_DOMAIN:?")
    );
    let db_url = env["WEFT_DATABASE_URL"].as_str().unwrap();
    let pg = &services["postgres"];
    let (user, db) = (
        pg["environment"]["POSTGRES_USER"].as_str().unwrap(),
        pg["environment"]["POSTGRES_DB"].as_str().unwrap(),
    );
    assert!(
        db_url.starts_with(&format!("postgres://{user}:"))
            && db_url.ends_with(&format!("@postgres:5432/{db}")),
        "{db_url}"
    );
    assert_eq!(
        weft["depends_on"]["postgres"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert!(
        strings(&pg["healthcheck"]["test"])
            .iter()
            .any(|t| t.contains("pg_isready"))
    );
    assert!(
        strings(&pg["volumes"]).contains(&"postgres-data:/var/lib/postgresql/data".to_string())
    );

    // Caddy: in Weft's network, on the port Weft listens on, with its Caddyfile.
    let caddy = &services["caddy"];
    assert_eq!(caddy["network_mode"].as_str(), Some("service:weft"));
    assert!(strings(&weft["ports"]).contains(&"443:443".to_string()));
    assert!(
        strings(&caddy["volumes"]).contains(&"./Caddyfile:/etc/caddy/Caddyfile:ro".to_string())
    );
    let listen = env["WEFT_LISTEN"].as_str().unwrap();
    let caddyfile = include_str!("../../../deploy/Caddyfile");
    assert!(
        caddyfile.contains(&format!("reverse_proxy {listen}")),
        "Caddy proxies to {listen}"
    );
    for volume in ["weft-data", "postgres-data", "caddy-data", "caddy-config"] {
        assert!(
            c["volumes"].get(volume).is_some(),
            "the named volume {volume} is declared"
        );
    }

    // The image: built with Rust, run on a slim base as a user, checked by `weft health`.
    let image = std::fs::read_to_string(&dockerfile).unwrap();
    assert!(image.contains("FROM rust:") && image.contains("FROM debian:bookworm-slim"));
    assert!(image.contains("USER weft") && image.contains("VOLUME [\"/var/lib/weft\"]"));
    assert!(image.contains("CMD [\"weft\", \"health\"]"));

    let plugin = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !plugin {
        eprintln!("docker compose is not installed: the compose file was checked as YAML only");
        return;
    }
    let out = Command::new("docker")
        .args(["compose", "-f"])
        .arg(root.join("deploy/compose.yaml"))
        .args(["config", "--quiet"])
        .env("WEFT_DOMAIN", "cop.example.org")
        .env("POSTGRES_PASSWORD", "0123456789abcdef")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker compose config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
