//! The one way an experiment gets its images: a named data set's split, cut to `--limit`
//! and to the size the experiment asks for, with the synthetic stand-in where the data is
//! absent and `--synthetic` allows it, and the run's record of what it trained on
//! (`summary.json`'s `data`) written here and only here.
//!
//! Two seeded cuts, as before this module gathered them: `--limit` first (the run's seed
//! with the purpose `limit`), then the experiment's size (purpose `subset`, see
//! [`subset`]). A seeded shuffle before each cut keeps every class in the subset.

use super::{DatasetSpec, ImageDataset, find, synthetic};
use crate::error::{Error, Result};
use crate::run::{LoadedSplit, Run};

/// Which images of a named data set an experiment trains and tests on.
#[derive(Debug, Clone, Copy)]
pub struct DataRequest<'a> {
    /// A catalog name (`fashion-mnist`, `cifar-10`, ...).
    pub dataset: &'a str,
    /// Training images to keep, a seeded subset (0 for all).
    pub train_size: usize,
    /// Test images to keep, a seeded subset (0 for all).
    pub test_size: usize,
}

impl<'a> DataRequest<'a> {
    /// Every image of both splits.
    pub fn all(dataset: &'a str) -> Self {
        Self {
            dataset,
            train_size: 0,
            test_size: 0,
        }
    }
}

/// The train and test splits of `request`, sized, and recorded as the run's data.
pub fn load_train_test(
    run: &mut Run,
    request: DataRequest,
) -> Result<(ImageDataset, ImageDataset)> {
    let train = load_split(run, request.dataset, "train", request.train_size)?;
    let test = load_split(run, request.dataset, "test", request.test_size)?;
    Ok((train, test))
}

/// One split of `dataset` (`train`, `test`, `val`, `all`), sized to `size` (0 for all);
/// recorded as the run's data (`train` and `all` as its training images, `test` as its
/// test images).
pub fn load_split(run: &mut Run, dataset: &str, split: &str, size: usize) -> Result<ImageDataset> {
    let (data, synthetic) = load_sized(run, dataset, split, size)?;
    let record = run.data_record();
    record.record_split(dataset, split, data.len());
    record.synthetic |= synthetic;
    record.stand_in |= synthetic;
    Ok(data)
}

/// A split loaded and sized as [`load_split`] does, for a helper task of the run (a
/// pre-training source): not recorded as the data the run is about.
pub fn load_auxiliary(
    run: &mut Run,
    dataset: &str,
    split: &str,
    size: usize,
) -> Result<ImageDataset> {
    Ok(load_sized(run, dataset, split, size)?.0)
}

/// A split of `dataset` as it is on disk, or `None` when the data set is not there (no
/// synthetic stand-in, no cut): for a picture of every data set present.
pub fn load_if_present(run: &Run, dataset: &str, split: &str) -> Result<Option<ImageDataset>> {
    let spec = find(dataset)?;
    if !super::verify::is_present(spec, &run.data_dir) {
        return Ok(None);
    }
    spec.load(&run.data_dir, split).map(Some)
}

/// The images of a folder of one's own (`--images DIR`), sized as [`load_split`] sizes a
/// catalog split, and recorded as the run's training images under the folder's path.
pub fn load_folder(
    run: &mut Run,
    dir: &std::path::Path,
    options: &super::formats::image_folder::FolderOptions,
    size: usize,
) -> Result<ImageDataset> {
    let data = super::formats::image_folder::read_image_folder(dir, options)?;
    let data = sized(run, data, size);
    let folder = dir.display().to_string();
    run.check_or_record_split(LoadedSplit::of(
        run,
        (&folder, "folder", size),
        &data,
        false,
    ))?;
    let record = run.data_record();
    record.name = dir.display().to_string();
    record.train = data.len();
    Ok(data)
}

/// `data` split into a part to train on and a seeded `fraction` held out from all
/// training (e.g. a measurement's reference), recorded as the run's train and test images.
pub fn hold_out(run: &mut Run, data: ImageDataset, fraction: f64) -> (ImageDataset, ImageDataset) {
    let (train, held_out) = data.split_off(fraction, run.seed);
    run.data_record().recount_last(train.len(), held_out.len());
    (train, held_out)
}

/// `data` cut to `--limit`, then to `size`: for images the run made itself (synthetic
/// sets, image folders), so that they are sized as the catalog's are.
pub fn sized(run: &Run, data: ImageDataset, size: usize) -> ImageDataset {
    let data = match run.limit {
        Some(limit) => seeded_cut(data, limit, run.seed, "limit"),
        None => data,
    };
    subset(data, size, run.seed)
}

/// The first `size` images of a seeded shuffle (all when `size` is 0 or too large).
pub fn subset(data: ImageDataset, size: usize, seed: u64) -> ImageDataset {
    if size == 0 {
        return data;
    }
    seeded_cut(data, size, seed, "subset")
}

/// The first `n` images of a shuffle seeded by (`seed`, `purpose`); all when `n` is not
/// smaller than the set.
fn seeded_cut(data: ImageDataset, n: usize, seed: u64, purpose: &str) -> ImageDataset {
    if n >= data.len() {
        return data;
    }
    let order =
        super::batch::shuffled_indices(data.len(), crate::backend::derive_seed(seed, purpose));
    data.select(&order[..n])
}

/// The split from disk (or its synthetic stand-in: then `true`), then [`sized`], checked
/// against (or recorded in) the run's `data.json`: a resume reads the same images, and
/// never swaps real data for a stand-in or back.
fn load_sized(
    run: &mut Run,
    dataset: &str,
    split: &str,
    size: usize,
) -> Result<(ImageDataset, bool)> {
    let spec: &DatasetSpec = find(dataset)?;
    let saved = run.saved_split((dataset, split, size))?;
    let (data, synthetic) = match &saved {
        Some(saved) if saved.stand_in => {
            run.note_once(format!(
                "this run started on a synthetic stand-in for `{dataset}` and continues on it \
                 (a resume keeps the data a run trained on)"
            ));
            (stand_in(run, spec, split), true)
        }
        _ => match spec.load(&run.data_dir, split) {
            Ok(data) => (data, false),
            Err(Error::DataMissing { missing, .. }) if saved.is_some() => {
                return Err(Error::Other(format!(
                    "resuming {}: it trained on the real `{dataset}` (split `{split}`, read \
                     from {}), which is not in {}: {missing}. Point --data-dir (or \
                     NGVM_DATA_DIR) at a folder that has it; a resume never continues real \
                     training on a synthetic stand-in",
                    run.resume_dir.display(),
                    saved
                        .as_ref()
                        .map_or_else(String::new, |s| s.data_dir.display().to_string()),
                    run.data_dir.display(),
                )));
            }
            Err(Error::DataMissing { .. }) if run.allow_synthetic => {
                (stand_in(run, spec, split), true)
            }
            Err(e) => return Err(e),
        },
    };
    let data = sized(run, data, size);
    run.check_or_record_split(LoadedSplit::of(
        run,
        (dataset, split, size),
        &data,
        synthetic,
    ))?;
    Ok((data, synthetic))
}

/// A synthetic stand-in of the split's shape, marked as such in the run's notes.
fn stand_in(run: &mut Run, spec: &DatasetSpec, split: &str) -> ImageDataset {
    let (shape, n) = synthetic::stand_in_shape(spec.name);
    let n = run.limit.map_or(n, |l| l.min(n));
    let note = format!(
        "`{}` is not in {}: using synthetic shapes instead (--synthetic)",
        spec.name,
        run.data_dir.display()
    );
    run.note_once(note);
    let seed = crate::backend::derive_seed(run.seed, split);
    synthetic::stand_in(shape, &spec.class_names(), n, seed)
}
