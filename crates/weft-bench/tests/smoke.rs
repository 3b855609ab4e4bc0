//! Every benchmark at tiny sizes, so they cannot rot. (The real runs: scripts/bench.sh.)

#[test]
fn every_benchmark_runs_at_smoke_size() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weft-bench"))
        .args(["all", "--smoke"])
        .output()
        .expect("run weft-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "weft-bench failed:\n{stdout}\n{stderr}"
    );
    for name in [
        "P1 fan-out",
        "P1 transport floor",
        "P1 fan-out (SQLite, second post, warm)",
        "P2 distance",
        "P3 inbox",
        "P4 read path",
        "P5 memory",
        "P6 start-up",
    ] {
        assert!(stdout.contains(name), "{name} did not report:\n{stdout}");
    }
}
