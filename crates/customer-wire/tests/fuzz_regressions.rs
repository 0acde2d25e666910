//! Every input the fuzzers kept (`fixtures/fuzz/<target>/`: inputs that once crashed a
//! target, or that stand for an attack), replayed through the same target bodies the
//! fuzzers run ([`customer_wire::fuzz_targets`]), on stable Rust and without libFuzzer.

use std::path::{Path, PathBuf};

use customer_wire::fuzz_targets::TARGETS;

fn kept_inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz")
}

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_passes_its_target() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        for file in files_in(&kept_inputs().join(name)) {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{} fails {name}", file.display());
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no kept inputs under {}",
        kept_inputs().display()
    );
}

#[test]
fn every_folder_of_kept_inputs_names_a_target() {
    for entry in std::fs::read_dir(kept_inputs()).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        if entry.path().is_dir() {
            assert!(
                TARGETS.iter().any(|(target, _)| *target == name),
                "fixtures/fuzz/{name} is no target"
            );
        }
    }
}
