//! Every benchmark at tiny sizes, so they cannot rot; and a correctness failure (not a
//! missed speed goal) fails the run. (The real runs: scripts/bench.sh.)

use std::process::Command;

#[test]
fn every_benchmark_runs_at_smoke_size() {
    let output = Command::new(env!("CARGO_BIN_EXE_weft-bench"))
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
        "P1 fan-out, second post",
        "P2 distance",
        "P3 inbox",
        "P4 read path",
        "P5 memory",
        "P6 start-up",
        "P7 directory search",
    ] {
        assert!(stdout.contains(name), "{name} did not report:\n{stdout}");
    }
    // The sinks say they run Mastodon, Lemmy or nothing: fewer requests than two per
    // instance, and the run says how many signatures were needed.
    assert!(
        stdout.contains("signatures needed"),
        "P1 counts the signatures needed:\n{stdout}"
    );
    assert!(
        !stderr.contains("correctness check failed"),
        "no correctness check failed:\n{stderr}"
    );
}

#[test]
fn a_failed_correctness_check_fails_the_run() {
    // The sinks record one delivery twice, as a repeated delivery would look.
    let output = Command::new(env!("CARGO_BIN_EXE_weft-bench"))
        .args(["p1", "--smoke", "--inject-fault", "repeat"])
        .env_remove("WEFT_BENCH_POSTGRES_URL")
        .output()
        .expect("run weft-bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a correctness failure exits 1:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("correctness check failed: P1 fan-out")
            && stderr.contains("reached an instance twice"),
        "the failed check is named:\n{stderr}"
    );
    assert!(
        stdout.contains("P1 fan-out"),
        "the table is still printed:\n{stdout}"
    );
}

#[test]
fn usage_is_printed_and_wrong_arguments_exit_2() {
    let help = Command::new(env!("CARGO_BIN_EXE_weft-bench"))
        .arg("--help")
        .output()
        .expect("run weft-bench");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("p1") && text.contains("--smoke"), "{text}");
    assert!(
        !text.contains("inject-fault"),
        "the fault flag is hidden:\n{text}"
    );
    let wrong = Command::new(env!("CARGO_BIN_EXE_weft-bench"))
        .arg("p9")
        .output()
        .expect("run weft-bench");
    assert_eq!(wrong.status.code(), Some(2));
}
