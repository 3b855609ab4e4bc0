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
