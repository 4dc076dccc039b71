//! The fixed feature network: trained once whatever the run's seed, cached in the data
//! directory with its checksum, read back as the same network, refused when damaged, and
//! never cached when it was trained on a stand-in.

use nn_core::data::{ImageDataset, ImageShape, load_split};
use nn_core::run::{Run, RunOptions};
use nn_core::train::fixed_features::{CACHE_DIR, FixedFeatures, FixedReference};
use std::path::Path;
use std::sync::Mutex;

/// One test at a time: burn's device RNG is global to the process, and a network trained
/// while another test draws from it would not be the fixed one.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const SHAPE: ImageShape = ImageShape::new(3, 16, 16);

/// A `cats` folder of 48 16x16 PNGs: a bright disc ("face") on a dark ground, varied.
fn write_cats(data_dir: &Path) {
    let dir = data_dir.join("cats");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..48u32 {
        let image = image::RgbImage::from_fn(16, 16, |x, y| {
            let (cx, cy) = (6 + i % 5, 7 + (i / 5) % 3);
            let d = (x as i32 - cx as i32).pow(2) + (y as i32 - cy as i32).pow(2);
            let ear = y < 4 && (x as i32 - cx as i32).abs() > 2;
            let v = if d < 20 || ear {
                200 + (i % 40) as u8
            } else {
                (i * 3 % 50) as u8
            };
            image::Rgb([v, v / 2 + (x * 4) as u8, 40])
        });
        image.save(dir.join(format!("cat{i:03}.png"))).unwrap();
    }
}

fn open(out: &Path, data_dir: &Path, seed: u64) -> Run {
    Run::open(RunOptions {
        seed,
        allow_synthetic: true,
        data_dir: data_dir.to_path_buf(),
        ..RunOptions::new(&format!("test/fixed-features-{seed}"), out)
    })
    .unwrap()
}

fn cache_files(data_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(data_dir.join(CACHE_DIR))
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn trained_once_cached_with_its_checksum_and_read_back_whatever_the_seed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_cats(data.path());
    let mut first = open(out.path(), data.path(), 1);
    let cats = load_split(&mut first, "cats", "all", 0).unwrap();
    let trained = FixedFeatures::for_dataset(&mut first, "cats", SHAPE, &cats).unwrap();
    let files = cache_files(data.path());
    assert_eq!(files.len(), 2, "one network and its record: {files:?}");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(record["task"], "rotation");
    assert_eq!(record["seed"], 20_261_204);
    assert_eq!(record["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(trained.cached.as_deref(), Some(files[1].as_path()));

    // Another seed in another data folder trains the same bits: the network is fixed.
    let other_data = tempfile::tempdir().unwrap();
    write_cats(other_data.path());
    let mut other = open(out.path(), other_data.path(), 99);
    let retrained = FixedFeatures::for_dataset(&mut other, "cats", SHAPE, &cats).unwrap();
    let device = first.device.clone();
    assert_eq!(
        retrained.judge.features(&cats, &device),
        trained.judge.features(&cats, &device)
    );

    // Read back from the cache: the same features, the run says where from.
    let mut second = open(out.path(), data.path(), 7);
    let read = FixedFeatures::for_dataset(&mut second, "cats", SHAPE, &cats).unwrap();
    let summary = second.summary(0, Default::default());
    assert!(
        summary.notes.iter().any(|n| n.contains("was read from")),
        "{:?}",
        summary.notes
    );
    let (a, b) = (
        trained.judge.features(&cats, &device),
        read.judge.features(&cats, &device),
    );
    assert_eq!(a, b);

    // The distance: a set against itself is 0, the floor is above it, and noise is far.
    let (train, held_out) = cats.split_off(0.25, 3);
    let reference = FixedReference::measure(read, (&train, &held_out), 12, (3, &device)).unwrap();
    let noise = ImageDataset {
        pixels: (0..held_out.pixels.len())
            .map(|i| (i * 7919 % 251) as u8)
            .collect(),
        ..held_out.clone()
    };
    let noise_distance = reference.distance(&noise, &device).unwrap();
    let itself = reference.distance(&held_out, &device).unwrap();
    assert!(
        itself.abs() < 1e-3 * noise_distance,
        "the held-out images against themselves: {itself} (noise {noise_distance})"
    );
    assert!(reference.floor > 0.0);
    assert!(
        noise_distance > 2.0 * reference.floor,
        "noise {noise_distance} against the floor {}",
        reference.floor
    );
}

#[test]
fn a_damaged_cache_is_refused_with_what_to_delete() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_cats(data.path());
    let mut run = open(out.path(), data.path(), 1);
    let cats = load_split(&mut run, "cats", "all", 0).unwrap();
    FixedFeatures::for_dataset(&mut run, "cats", SHAPE, &cats).unwrap();
    let network = cache_files(data.path())
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "ngvm"))
        .unwrap();
    let mut bytes = std::fs::read(&network).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&network, bytes).unwrap();
    let mut again = open(out.path(), data.path(), 2);
    let error = FixedFeatures::for_dataset(&mut again, "cats", SHAPE, &cats)
        .err()
        .expect("a damaged cache must not be used")
        .to_string();
    assert!(
        error.contains("damaged") && error.contains("delete"),
        "{error}"
    );
    assert!(error.contains(&network.display().to_string()), "{error}");
}

#[test]
fn a_network_of_stand_in_images_is_not_cached() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (data, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut run = open(out.path(), data.path(), 1);
    let stand_in = load_split(&mut run, "cats", "all", 48).unwrap();
    let resized = stand_in.resized(16);
    let fixed = FixedFeatures::for_dataset(&mut run, "cats", SHAPE, &resized).unwrap();
    assert!(fixed.cached.is_none());
    assert!(cache_files(data.path()).is_empty());
    let summary = run.summary(0, Default::default());
    assert!(
        summary.notes.iter().any(|n| n.contains("stand-in")),
        "{:?}",
        summary.notes
    );
}

/// Sets `NGVM_CACHE_DIR` for one test and removes it afterwards (the tests run one at a
/// time under [`ONE_AT_A_TIME`], so no other test sees it).
struct CacheDirVar;

impl CacheDirVar {
    fn set(dir: &Path) -> Self {
        // SAFETY: the tests of this binary run one at a time and read it only under the lock.
        unsafe { std::env::set_var("NGVM_CACHE_DIR", dir) };
        CacheDirVar
    }
}

impl Drop for CacheDirVar {
    fn drop(&mut self) {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var("NGVM_CACHE_DIR") };
    }
}

/// A data folder that cannot take the cache (a shared, read-only mount; here its
/// `fixed-features` is a file) caches in the user's cache folder, and the next run reads the
/// network from there instead of training it again.
#[test]
fn a_data_folder_that_cannot_be_written_caches_in_the_user_cache() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (data, out, cache) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write_cats(data.path());
    std::fs::write(data.path().join(CACHE_DIR), "not a folder").unwrap();
    let _var = CacheDirVar::set(cache.path());
    let mut first = open(out.path(), data.path(), 1);
    let cats = load_split(&mut first, "cats", "all", 0).unwrap();
    let trained = FixedFeatures::for_dataset(&mut first, "cats", SHAPE, &cats).unwrap();
    let cached = trained.cached.clone().expect("cached somewhere");
    assert!(cached.starts_with(cache.path()), "{}", cached.display());

    let mut second = open(out.path(), data.path(), 2);
    let read = FixedFeatures::for_dataset(&mut second, "cats", SHAPE, &cats).unwrap();
    assert_eq!(read.cached.as_deref(), Some(cached.as_path()));
    let notes = second.summary(0, Default::default()).notes;
    assert!(
        notes.iter().any(|n| n.contains("was read from")),
        "{notes:?}"
    );
}
