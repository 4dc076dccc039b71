//! What a run records of its data (`summary.json`'s `data`) when it reads several data sets:
//! every set by name with its own counts, not only the last one read.

use nn_core::data::{hold_out, load_split};
use nn_core::run::{Run, RunOptions};

fn run_with_stand_ins(out: &std::path::Path) -> Run {
    Run::open(RunOptions {
        allow_synthetic: true,
        limit: Some(40),
        data_dir: out.join("no-data"),
        ..RunOptions::new("test/data-record", out)
    })
    .unwrap()
}

#[test]
fn a_run_over_two_data_sets_records_both_with_their_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = run_with_stand_ins(dir.path());
    let fashion_train = load_split(&mut run, "fashion-mnist", "train", 30).unwrap();
    let fashion_test = load_split(&mut run, "fashion-mnist", "test", 10).unwrap();
    let xray_train = load_split(&mut run, "pneumoniamnist", "train", 20).unwrap();
    let xray_test = load_split(&mut run, "pneumoniamnist", "test", 8).unwrap();
    let data = run.data().clone();

    assert_eq!(data.name, "fashion-mnist, pneumoniamnist");
    let counts: Vec<(&str, usize, usize)> = data
        .sets
        .iter()
        .map(|s| (s.name.as_str(), s.train, s.test))
        .collect();
    assert_eq!(
        counts,
        [
            ("fashion-mnist", fashion_train.len(), fashion_test.len()),
            ("pneumoniamnist", xray_train.len(), xray_test.len()),
        ]
    );
    assert_eq!((data.train, data.test), (xray_train.len(), xray_test.len()));
    assert_eq!(
        data.describe(),
        format!(
            "fashion-mnist {} / {}, pneumoniamnist {} / {}",
            fashion_train.len(),
            fashion_test.len(),
            xray_train.len(),
            xray_test.len()
        )
    );
    assert!(data.stand_in, "stand-ins are marked");
}

#[test]
fn one_data_set_with_a_hold_out_reads_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = run_with_stand_ins(dir.path());
    let all = load_split(&mut run, "cats", "all", 0).unwrap();
    let (train, held_out) = hold_out(&mut run, all, 0.25);
    let data = run.data().clone();

    assert_eq!(data.name, "cats");
    assert_eq!((data.train, data.test), (train.len(), held_out.len()));
    assert_eq!(data.sets.len(), 1);
    assert_eq!(
        (data.sets[0].train, data.sets[0].test),
        (train.len(), held_out.len())
    );
    assert_eq!(
        data.describe(),
        format!("cats {} / {}", train.len(), held_out.len())
    );
}

#[test]
fn a_data_set_read_in_a_stage_joins_the_runs_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = run_with_stand_ins(dir.path());
    let source = load_split(&mut run, "fashion-mnist", "train", 30).unwrap();
    let mut stage = run.stage("target").unwrap();
    let target = load_split(&mut stage, "pneumoniamnist", "train", 20).unwrap();
    run.absorb(&stage);
    let data = run.data().clone();

    assert_eq!(data.name, "fashion-mnist, pneumoniamnist");
    assert_eq!(
        data.sets.iter().map(|s| s.train).collect::<Vec<_>>(),
        [source.len(), target.len()]
    );
}
