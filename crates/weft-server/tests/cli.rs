//! The `weft` command as an operator meets it: help, mistakes, and the admin commands,
//! run as a real process against a real (SQLite) database.

use std::path::Path;
use std::process::{Command, Output};

fn weft(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .env_remove("WEFT_DATABASE_URL")
        .env_remove("WEFT_DATA_DIR")
        .env_remove("WEFT_DOMAIN")
        .env("WEFT_LOG", "warn")
        .output()
        .expect("run weft")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every command's --help says what it does and shows an example.
#[test]
fn every_command_has_an_example() {
    use clap::CommandFactory;
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            let path = format!("{path} {}", sub.get_name());
            let help = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            if sub.get_about().is_none() || !help.contains("Example") {
                missing.push(path.clone());
            }
            walk(sub, &path, missing);
        }
    }
    let mut missing = vec![];
    walk(&weft_server::cli::Cli::command(), "weft", &mut missing);
    assert!(missing.is_empty(), "no about or example: {missing:?}");
    let dir = scratch("examples");
    let o = weft(&dir, &["admin", "queue", "--help"]);
    assert!(o.status.success());
    assert!(
        text(&o)
            .0
            .contains("weft admin queue retry social.example.org")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_exits_zero_and_mistakes_exit_two() {
    let dir = scratch("help");
    for args in [
        &["--help"][..],
        &["help"],
        &["user", "--help"],
        &["community", "create", "--help"],
        &["help", "community"],
    ] {
        let o = weft(&dir, args);
        let (out, _) = text(&o);
        assert!(o.status.success(), "{args:?}");
        assert!(out.contains("Usage: weft"), "{args:?}: {out}");
    }
    let o = weft(&dir, &["serv"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("unrecognized subcommand 'serv'"), "{err}");
    assert!(
        err.contains("serve"),
        "a hint names the command meant: {err}"
    );
    let o = weft(&dir, &["community", "create", "wb"]);
    assert_eq!(o.status.code(), Some(2), "--title is required");
    assert!(text(&o).1.contains("--title"));
    // `--domain` was renamed: it read like a host name.
    let o = weft(
        &dir,
        &["community", "create", "wb", "--title", "W", "--domain", "x"],
    );
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn members_and_communities_are_managed_from_the_command_line() {
    let dir = scratch("admin");
    let o = weft(
        &dir,
        &["user", "create", "alice", "--display-name", "Alice A"],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let first_token = out
        .lines()
        .last()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let db = dir.join("data").join("weft.db");
    assert!(
        err.contains(&db.display().to_string()) && err.contains("has not used yet"),
        "an empty database that no server uses is named, absolutely: {err}"
    );
    let o = weft(&dir, &["user", "create", "alice"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("taken"));

    let o = weft(&dir, &["user", "token", "alice"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    let new_token = out.trim().rsplit(' ').next().unwrap();
    assert_ne!(new_token, first_token);
    let o = weft(&dir, &["user", "token", "nobody"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("weft user create nobody"));

    let o = weft(
        &dir,
        &[
            "community",
            "create",
            "wb",
            "--title",
            "Wellbeing",
            "--lead",
            "alice",
            "--about",
            "What we are **about**",
        ],
    );
    assert!(o.status.success(), "{}", text(&o).1);
    weft(&dir, &["user", "create", "bob"]);
    let o = weft(&dir, &["community", "set-role", "wb", "bob", "facilitator"]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(text(&o).0.contains("bob is now facilitator of wb"));
    let o = weft(&dir, &["community", "set-role", "wb", "bob", "boss"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("lead, facilitator, weaver, member"));
    let o = weft(&dir, &["community", "set-role", "nowhere", "bob", "member"]);
    assert!(text(&o).1.contains("no local community"));

    // A password set from the command line; a weak one is refused with the reason.
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["user", "password", "alice"])
        .current_dir(&dir)
        .env_remove("WEFT_DATA_DIR")
        .env_remove("WEFT_DATABASE_URL")
        .env_remove("WEFT_DOMAIN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("too short"), "{}", text(&o).1);

    let o = weft(&dir, &["instance", "registration"]);
    assert_eq!(text(&o).0.trim(), "registration: approval");
    let o = weft(&dir, &["instance", "registration", "open"]);
    assert!(o.status.success());
    let o = weft(&dir, &["instance", "registration"]);
    assert_eq!(text(&o).0.trim(), "registration: open");
    let o = weft(&dir, &["instance", "registration", "everyone"]);
    assert_eq!(o.status.code(), Some(1));

    let (out, _) = text(&weft(&dir, &["user", "list"]));
    assert!(out.contains("alice@localhost:8080\tAlice A"), "{out}");
    assert!(out.contains("bob@localhost:8080"), "{out}");
    let (out, _) = text(&weft(&dir, &["community", "list"]));
    assert!(
        out.contains("wb@localhost:8080\tWellbeing\tactive\t2 members"),
        "{out}"
    );

    // The same database under another WEFT_DOMAIN is pointed out.
    let o = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["user", "list"])
        .current_dir(&dir)
        .env("WEFT_DOMAIN", "cop.example.org")
        .env_remove("WEFT_DATA_DIR")
        .env_remove("WEFT_DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        text(&o).1.contains("made under the domain localhost:8080"),
        "{}",
        text(&o).1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_community_is_created_with_its_join_policy() {
    let dir = scratch("join");
    let o = weft(&dir, &["user", "create", "ann"]);
    assert!(o.status.success(), "{}", text(&o).1);
    let o = weft(
        &dir,
        &[
            "community",
            "create",
            "circle",
            "--title",
            "Circle",
            "--lead",
            "ann",
            "--join",
            "invite",
        ],
    );
    assert!(o.status.success(), "{}", text(&o).1);
    // A community keeps its lead, from the command line too.
    let o = weft(&dir, &["community", "set-role", "circle", "ann", "member"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("last lead"), "{}", text(&o).1);
    let o = weft(
        &dir,
        &[
            "community",
            "create",
            "x",
            "--title",
            "X",
            "--join",
            "secret",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("open, approval, invite"),
        "{}",
        text(&o).1
    );

    let url = format!("sqlite://{}", dir.join("data").join("weft.db").display());
    let mut conn = weft_db::establish(&url).unwrap();
    let circle = weft_db::actors::local_by_username(&mut conn, "circle")
        .unwrap()
        .unwrap();
    let details = weft_db::actors::community(&mut conn, circle.id)
        .unwrap()
        .unwrap();
    assert_eq!(details.join_policy, "invite");
    assert!(circle.manually_approves_followers);
    assert!(
        weft_db::actors::local_by_username(&mut conn, "x")
            .unwrap()
            .is_none()
    );
}
