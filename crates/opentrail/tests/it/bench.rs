//! `opentrail bench delivery` runs end to end on a small load and reports what it measured.

use crate::{opentrail, run_ok, scratch_dir};

#[test]
fn bench_delivery_reports_throughput_and_latency() {
    let dir = scratch_dir("bench-delivery");
    let out = run_ok(
        opentrail()
            .args([
                "bench",
                "delivery",
                "--events",
                "3000",
                "--rate",
                "400",
                "--seconds",
                "2",
                "--interval",
                "500ms",
                "--data-dir",
            ])
            .arg(&dir),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let throughput =
        text.lines().find(|l| l.contains("events (")).unwrap_or_else(|| panic!("{text}"));
    assert!(throughput.trim_start().starts_with("3000 events"), "{text}");
    assert!(throughput.contains("events/s"), "{text}");
    let latency =
        text.lines().find(|l| l.contains("acknowledged")).unwrap_or_else(|| panic!("{text}"));
    // Every acknowledged event became visible: the command fails otherwise.
    assert!(latency.contains("800 events acknowledged, 800 visible, 0 missing"), "{text}");
    assert!(latency.contains("p99"), "{text}");
}
