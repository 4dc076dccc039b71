//! The catalog: every named data set of the course with its official files, checksums,
//! licence, classes, splits and on-disk layout. This file is the one source of truth that
//! `cargo xtask download` and `verify`, the loaders and `datasets/README.md` follow.

use super::ImageDataset;
use super::formats::{cifar, cifar::CifarKind, idx, image_folder, npz, oxford_pet};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How a file's integrity is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Sha256(&'static str),
    /// The leading hex digits of the sha256, as in torchvision's weight file names.
    Sha256Prefix(&'static str),
    Md5(&'static str),
}

/// What to do with a downloaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unpack {
    /// Keep it as it is (the readers take `.gz` directly).
    Keep,
    /// Unpack a `.tar.gz` into the data set's folder, then delete the archive.
    TarGz,
}

/// One file to fetch from the internet.
#[derive(Debug, Clone, Copy)]
pub struct RemoteFile {
    /// File name in the data set's folder.
    pub name: &'static str,
    /// Official URL first, then mirrors.
    pub urls: &'static [&'static str],
    /// Size in bytes where known.
    pub bytes: Option<u64>,
    pub checksum: Checksum,
    /// sha256 of the gunzipped content where known (lets `verify` accept recompressed `.gz`).
    pub content_sha256: Option<&'static str>,
    pub unpack: Unpack,
}

/// Where a data set's splits live under `<data dir>/<name>/`.
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    /// IDX pairs per split: `(split, images file, labels file)`.
    Idx(&'static [(&'static str, &'static str, &'static str)]),
    /// CIFAR binary records in `dir`: `(split, files)`; missing files of a split are skipped
    /// (a shortened set), a split with none is missing.
    Cifar {
        dir: &'static str,
        kind: CifarKind,
        splits: &'static [(&'static str, &'static [&'static str])],
    },
    /// A MedMNIST `.npz` holding `train`, `val` and `test`.
    Npz(&'static str),
    /// An image folder (flat or one sub-folder per class), all in one split `all`.
    Folder,
    /// The Oxford-IIIT Pet layout (`images/`, `annotations/`): split `trainval` is its
    /// cat heads cropped to 64x64 squares ([`oxford_pet::read_cat_heads`]).
    PetCatHeads,
}

/// The side the Oxford-IIIT Pet cat heads are cropped to.
pub const CAT_FACE_SIDE: u32 = 64;

/// A named data set.
#[derive(Debug, Clone, Copy)]
pub struct DatasetSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub licence: &'static str,
    pub homepage: &'static str,
    /// Class names by label; empty for unlabelled sets.
    pub classes: &'static [&'static str],
    /// Split names and the number of images of the official release.
    pub splits: &'static [(&'static str, usize)],
    pub files: &'static [RemoteFile],
    pub layout: Layout,
    /// Built from another data set by `download` instead of fetched (cats from CIFAR-10).
    pub derived_from: Option<&'static str>,
}

/// A split name; plain strings keep the catalog data-only.
pub type Split = &'static str;

const FASHION_CLASSES: &[&str] = &[
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];
const DIGITS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const CIFAR10_CLASSES: &[&str] = &[
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];
/// CIFAR-100 fine labels, in label order.
pub const CIFAR100_FINE: &[&str] = &[
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
];
/// CIFAR-100 coarse labels (super-classes), in label order.
pub const CIFAR100_COARSE: &[&str] = &[
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
];
const PNEUMONIA_CLASSES: &[&str] = &["normal", "pneumonia"];

macro_rules! fashion_url {
    ($file:literal) => {
        concat!(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            $file
        )
    };
}
macro_rules! mnist_urls {
    ($file:literal) => {
        &[
            concat!("https://ossci-datasets.s3.amazonaws.com/mnist/", $file),
            concat!("http://yann.lecun.com/exdb/mnist/", $file),
        ]
    };
}
macro_rules! medmnist {
    ($name:literal, $file:literal, $md5:literal) => {
        DatasetSpec {
            name: $name,
            title: "PneumoniaMNIST (MedMNIST v2): paediatric chest X-rays, normal vs pneumonia",
            licence: "CC BY 4.0",
            homepage: "https://medmnist.com/",
            classes: PNEUMONIA_CLASSES,
            splits: &[("train", 4708), ("val", 524), ("test", 624)],
            files: &[RemoteFile {
                name: $file,
                urls: &[concat!(
                    "https://zenodo.org/records/10519652/files/",
                    $file,
                    "?download=1"
                )],
                bytes: None,
                checksum: Checksum::Md5($md5),
                content_sha256: None,
                unpack: Unpack::Keep,
            }],
            layout: Layout::Npz($file),
            derived_from: None,
        }
    };
}

const IDX_SPLITS: &[(&str, &str, &str)] = &[
    (
        "train",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ),
    (
        "test",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ),
];

const fn keep(
    name: &'static str,
    urls: &'static [&'static str],
    bytes: u64,
    checksum: Checksum,
    content_sha256: Option<&'static str>,
) -> RemoteFile {
    RemoteFile {
        name,
        urls,
        bytes: Some(bytes),
        checksum,
        content_sha256,
        unpack: Unpack::Keep,
    }
}

static CATALOG: &[DatasetSpec] = &[
    DatasetSpec {
        name: "fashion-mnist",
        title: "Fashion-MNIST: 28x28 grey Zalando article images in 10 classes",
        licence: "MIT (Zalando SE)",
        homepage: "https://github.com/zalandoresearch/fashion-mnist",
        classes: FASHION_CLASSES,
        splits: &[("train", 60_000), ("test", 10_000)],
        files: &[
            keep(
                "train-images-idx3-ubyte.gz",
                &[fashion_url!("train-images-idx3-ubyte.gz")],
                26_421_880,
                Checksum::Sha256(
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                ),
                Some("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            ),
            keep(
                "train-labels-idx1-ubyte.gz",
                &[fashion_url!("train-labels-idx1-ubyte.gz")],
                29_515,
                Checksum::Sha256(
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                ),
                Some("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            ),
            keep(
                "t10k-images-idx3-ubyte.gz",
                &[fashion_url!("t10k-images-idx3-ubyte.gz")],
                4_422_102,
                Checksum::Sha256(
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                ),
                Some("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            ),
            keep(
                "t10k-labels-idx1-ubyte.gz",
                &[fashion_url!("t10k-labels-idx1-ubyte.gz")],
                5_148,
                Checksum::Sha256(
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                ),
                Some("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            ),
        ],
        layout: Layout::Idx(IDX_SPLITS),
        derived_from: None,
    },
    DatasetSpec {
        name: "mnist",
        title: "MNIST: 28x28 grey handwritten digits",
        licence: "CC BY-SA 3.0 (Yann LeCun, Corinna Cortes)",
        homepage: "http://yann.lecun.com/exdb/mnist/",
        classes: DIGITS,
        splits: &[("train", 60_000), ("test", 10_000)],
        files: &[
            keep(
                "train-images-idx3-ubyte.gz",
                mnist_urls!("train-images-idx3-ubyte.gz"),
                9_912_422,
                Checksum::Md5("f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                None,
            ),
            keep(
                "train-labels-idx1-ubyte.gz",
                mnist_urls!("train-labels-idx1-ubyte.gz"),
                28_881,
                Checksum::Md5("d53e105ee54ea40749a09fcbcd1e9432"),
                None,
            ),
            keep(
                "t10k-images-idx3-ubyte.gz",
                mnist_urls!("t10k-images-idx3-ubyte.gz"),
                1_648_877,
                Checksum::Md5("9fb629c4189551a2d022fa330f9573f3"),
                None,
            ),
            keep(
                "t10k-labels-idx1-ubyte.gz",
                mnist_urls!("t10k-labels-idx1-ubyte.gz"),
                4_542,
                Checksum::Md5("ec29112dd5afa0611ce80d1b7f02629c"),
                None,
            ),
        ],
        layout: Layout::Idx(IDX_SPLITS),
        derived_from: None,
    },
    DatasetSpec {
        name: "cifar-10",
        title: "CIFAR-10: 32x32 colour photographs in 10 classes",
        licence: "none stated by the authors (Krizhevsky, Nair, Hinton)",
        homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
        classes: CIFAR10_CLASSES,
        splits: &[("train", 50_000), ("test", 10_000)],
        files: &[RemoteFile {
            name: "cifar-10-binary.tar.gz",
            urls: &["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
            bytes: Some(170_052_171),
            checksum: Checksum::Sha256(
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
            ),
            content_sha256: None,
            unpack: Unpack::TarGz,
        }],
        layout: Layout::Cifar {
            dir: "cifar-10-batches-bin",
            kind: CifarKind::Ten,
            splits: &[
                (
                    "train",
                    &[
                        "data_batch_1.bin",
                        "data_batch_2.bin",
                        "data_batch_3.bin",
                        "data_batch_4.bin",
                        "data_batch_5.bin",
                    ],
                ),
                ("test", &["test_batch.bin"]),
            ],
        },
        derived_from: None,
    },
    DatasetSpec {
        name: "cifar-100",
        title: "CIFAR-100: 32x32 colour photographs in 100 fine (20 coarse) classes",
        licence: "none stated by the authors (Krizhevsky, Nair, Hinton)",
        homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
        classes: CIFAR100_FINE,
        splits: &[("train", 50_000), ("test", 10_000)],
        files: &[RemoteFile {
            name: "cifar-100-binary.tar.gz",
            urls: &["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"],
            bytes: Some(168_513_733),
            checksum: Checksum::Sha256(
                "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
            ),
            content_sha256: None,
            unpack: Unpack::TarGz,
        }],
        layout: Layout::Cifar {
            dir: "cifar-100-binary",
            kind: CifarKind::HundredFine,
            splits: &[("train", &["train.bin"]), ("test", &["test.bin"])],
        },
        derived_from: None,
    },
    medmnist!(
        "pneumoniamnist",
        "pneumoniamnist.npz",
        "28209eda62fecd6e6a2d98b1501bb15f"
    ),
    medmnist!(
        "pneumoniamnist-64",
        "pneumoniamnist_64.npz",
        "8f4eceb4ccffa70c672198ea285246c6"
    ),
    medmnist!(
        "pneumoniamnist-128",
        "pneumoniamnist_128.npz",
        "05b46931834c231683c68f40c47b2971"
    ),
    medmnist!(
        "pneumoniamnist-224",
        "pneumoniamnist_224.npz",
        "d6a3c71de1b945ea11211b03746c1fe1"
    ),
    DatasetSpec {
        name: "oxford-iiit-pet",
        title: "Oxford-IIIT Pet: 37 cat and dog breeds with head boxes (the source of cat-faces)",
        licence: "CC BY-SA 4.0 (Parkhi, Vedaldi, Zisserman, Jawahar 2012)",
        homepage: "https://www.robots.ox.ac.uk/~vgg/data/pets/",
        classes: &[],
        // The trainval cat images with a head box (the test images have none): about
        // 1,190, half of the 2,371 cat photos; `verify` prints the count it reads.
        splits: &[("trainval", 1_188)],
        files: &[
            RemoteFile {
                name: "images.tar.gz",
                urls: &["https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz"],
                bytes: Some(791_918_971),
                checksum: Checksum::Md5("5c4f3ee8e5d25df40f4fd59a7f44e54c"),
                content_sha256: None,
                unpack: Unpack::TarGz,
            },
            RemoteFile {
                name: "annotations.tar.gz",
                urls: &["https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz"],
                bytes: Some(19_173_078),
                checksum: Checksum::Md5("95a8c909bbe2e81eed6a22bccdf3f68f"),
                content_sha256: None,
                unpack: Unpack::TarGz,
            },
        ],
        layout: Layout::PetCatHeads,
        derived_from: None,
    },
    DatasetSpec {
        name: "cat-faces",
        title: "Cat faces: the Oxford-IIIT Pet cat heads, square crops at 64x64, for the GAN week",
        licence: "CC BY-SA 4.0 (Oxford-IIIT Pet, Parkhi et al. 2012)",
        homepage: "https://www.robots.ox.ac.uk/~vgg/data/pets/",
        classes: &[],
        splits: &[("all", 1_188)],
        files: &[],
        layout: Layout::Folder,
        derived_from: Some("oxford-iiit-pet"),
    },
    DatasetSpec {
        name: "cats",
        title: "Cats: an unlabelled folder of cat images (PNG/JPEG) for the GAN week",
        licence: "as the source: CIFAR-10's cat class by default, or your own folder",
        homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
        classes: &[],
        splits: &[("all", 6_000)],
        files: &[],
        layout: Layout::Folder,
        derived_from: Some("cifar-10"),
    },
];

/// CIFAR-10's label for cats: the class the `cats` data set is derived from.
pub const CIFAR10_CAT: u16 = 3;

/// Every data set of the course, in catalog order.
pub fn catalog() -> &'static [DatasetSpec] {
    CATALOG
}

/// The data set called `name`, or an error listing the known names.
pub fn find(name: &str) -> Result<&'static DatasetSpec> {
    CATALOG
        .iter()
        .find(|spec| spec.name == name)
        .ok_or_else(|| Error::UnknownDataset {
            name: name.to_string(),
            known: CATALOG
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl DatasetSpec {
    /// The folder of this data set under `data_dir`. The PneumoniaMNIST sizes share one.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        let folder = match self.layout {
            Layout::Npz(_) => "pneumoniamnist",
            _ => self.name,
        };
        data_dir.join(folder)
    }

    /// Class names as owned strings.
    pub fn class_names(&self) -> Vec<String> {
        self.classes.iter().map(|s| s.to_string()).collect()
    }

    /// The files a split is read from (those that exist, for CIFAR's optional batches).
    pub fn split_files(&self, data_dir: &Path, split: &str) -> Vec<PathBuf> {
        let dir = self.dir(data_dir);
        match self.layout {
            Layout::Idx(splits) => splits
                .iter()
                .filter(|(s, _, _)| *s == split)
                .flat_map(|(_, images, labels)| [dir.join(images), dir.join(labels)])
                .collect(),
            Layout::Cifar {
                dir: sub, splits, ..
            } => splits
                .iter()
                .filter(|(s, _)| *s == split)
                .flat_map(|(_, files)| files.iter().map(|f| dir.join(sub).join(f)))
                .filter(|p| p.exists())
                .collect(),
            Layout::Npz(file) => vec![dir.join(file)],
            Layout::Folder => vec![dir],
            Layout::PetCatHeads => vec![dir.join("annotations").join("trainval.txt")],
        }
    }

    /// Whether the files of `split` are present (not whether they are valid).
    pub fn has_split(&self, data_dir: &Path, split: &str) -> bool {
        let files = self.split_files(data_dir, split);
        !files.is_empty() && files.iter().all(|f| f.exists())
    }

    /// Loads one split (`train`, `val`, `test`, or `all` for an image folder) from `data_dir`.
    /// A missing data set is [`Error::DataMissing`] naming the command that gets it.
    pub fn load(&self, data_dir: &Path, split: &str) -> Result<ImageDataset> {
        if !self.splits.iter().any(|(s, _)| *s == split) {
            return Err(Error::Other(format!(
                "data set `{}` has no split `{split}`; it has {}",
                self.name,
                self.splits
                    .iter()
                    .map(|(s, _)| *s)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let files = self.split_files(data_dir, split);
        if let Some(missing) = files.iter().find(|f| !f.exists()) {
            return Err(self.missing(data_dir, &missing.display().to_string()));
        }
        if files.is_empty() {
            return Err(self.missing(data_dir, &format!("no files of split `{split}`")));
        }
        let classes = self.class_names();
        let dataset = match self.layout {
            Layout::Idx(_) => idx::read_idx_pair(&files[0], &files[1], self.classes)?,
            Layout::Cifar { kind, .. } => {
                let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
                cifar::read_cifar(&paths, kind, &classes)?
            }
            Layout::Npz(_) => npz::read_npz_split(&files[0], split, &classes)?,
            Layout::Folder => image_folder::read_image_folder(&files[0], &Default::default())?,
            Layout::PetCatHeads => {
                oxford_pet::read_cat_heads(&self.dir(data_dir), CAT_FACE_SIDE)?.0
            }
        };
        Ok(dataset)
    }

    fn missing(&self, data_dir: &Path, what: &str) -> Error {
        Error::DataMissing {
            name: self.name.to_string(),
            dir: data_dir.to_path_buf(),
            missing: what.to_string(),
        }
    }
}

/// The data directory: `--data-dir`, else `NGVM_DATA_DIR`, else `datasets/` at the
/// workspace root.
#[derive(Debug, Clone)]
pub struct DataDir;

impl DataDir {
    /// Resolves the data directory from an optional flag value.
    pub fn resolve(flag: Option<&Path>) -> PathBuf {
        if let Some(dir) = flag {
            return dir.to_path_buf();
        }
        if let Some(dir) = std::env::var_os("NGVM_DATA_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets");
        if workspace.is_dir() {
            workspace
        } else {
            PathBuf::from("datasets")
        }
    }
}
