//! Pre-trained weights the course can fetch: torchvision's ImageNet checkpoints and
//! pytorch-fid's InceptionV3, checked by the sha256 prefix each file name carries. They live in
//! `<data dir>/weights/` and are fetched only when named (`cargo xtask download vgg19`):
//! half a gigabyte is not part of `--all`.

use super::catalog::{Checksum, RemoteFile, Unpack};
use super::download::{DownloadOptions, Fetched, digest_matches, fetch_file, file_digest};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A named weights file.
#[derive(Debug, Clone, Copy)]
pub struct WeightsSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub licence: &'static str,
    pub file: RemoteFile,
}

const fn torchvision(
    name: &'static str,
    urls: &'static [&'static str],
    prefix: &'static str,
) -> RemoteFile {
    RemoteFile {
        name,
        urls,
        bytes: None,
        checksum: Checksum::Sha256Prefix(prefix),
        content_sha256: None,
        unpack: Unpack::Keep,
    }
}

const LICENCE: &str =
    "torchvision, BSD-3-Clause; trained on ImageNet, whose terms allow research use only";

const WEIGHTS: &[WeightsSpec] = &[
    WeightsSpec {
        name: "vgg19",
        title: "VGG-19 trained on ImageNet (torchvision IMAGENET1K_V1, 72.4% top-1)",
        licence: LICENCE,
        file: torchvision(
            "vgg19-dcbb9e9d.pth",
            &["https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"],
            "dcbb9e9d",
        ),
    },
    WeightsSpec {
        name: "vgg19_bn",
        title: "VGG-19 with batch norm trained on ImageNet (torchvision IMAGENET1K_V1, 74.2% top-1)",
        licence: LICENCE,
        file: torchvision(
            "vgg19_bn-c79401a0.pth",
            &["https://download.pytorch.org/models/vgg19_bn-c79401a0.pth"],
            "c79401a0",
        ),
    },
    WeightsSpec {
        name: "resnet18",
        title: "ResNet-18 trained on ImageNet (torchvision IMAGENET1K_V1, 69.8% top-1)",
        licence: LICENCE,
        file: torchvision(
            "resnet18-f37072fd.pth",
            &["https://download.pytorch.org/models/resnet18-f37072fd.pth"],
            "f37072fd",
        ),
    },
    WeightsSpec {
        name: "fid-inception",
        title: "InceptionV3 as pytorch-fid uses it for the FID (TensorFlow's 2015-12-05 weights, ported)",
        licence: "pytorch-fid, Apache-2.0; the weights are TensorFlow's inception-2015-12-05 model (Apache-2.0), trained on ImageNet",
        file: RemoteFile {
            name: "pt_inception-2015-12-05-6726825d.pth",
            urls: &[
                "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
            ],
            bytes: None,
            // The file name carries the first 8 hex digits of its sha256 (torch.hub's rule).
            checksum: Checksum::Sha256Prefix("6726825d"),
            content_sha256: None,
            unpack: Unpack::Keep,
        },
    },
];

/// Every weights file the course knows.
pub fn weights() -> &'static [WeightsSpec] {
    WEIGHTS
}

/// The weights called `name`, if any.
pub fn find_weights(name: &str) -> Option<&'static WeightsSpec> {
    WEIGHTS.iter().find(|w| w.name == name)
}

impl WeightsSpec {
    /// Where the file lives under `data_dir`.
    pub fn path(&self, data_dir: &Path) -> PathBuf {
        data_dir.join("weights").join(self.file.name)
    }

    /// Fetches the file (unless a verified copy is there).
    pub fn fetch(&self, data_dir: &Path, options: &DownloadOptions) -> Result<Fetched> {
        fetch_file(&self.file, &self.path(data_dir), options)
    }

    /// `Ok(Some(path))` when the file is there with the right checksum, `Ok(None)` when it
    /// is absent, and an error naming the file when it is there but damaged.
    pub fn verified_path(&self, data_dir: &Path) -> Result<Option<PathBuf>> {
        let path = self.path(data_dir);
        if !path.exists() {
            return Ok(None);
        }
        let digest = file_digest(&path, self.file.checksum).map_err(|e| Error::io(&path, e))?;
        if digest_matches(self.file.checksum, &digest) {
            Ok(Some(path))
        } else {
            Err(Error::Other(format!(
                "{}: sha256 {digest} does not start with {}; the file is damaged: delete it and run `cargo xtask download {}`",
                path.display(),
                match self.file.checksum {
                    Checksum::Sha256Prefix(p) | Checksum::Sha256(p) | Checksum::Md5(p) => p,
                },
                self.name
            )))
        }
    }
}
