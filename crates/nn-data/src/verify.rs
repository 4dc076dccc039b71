//! `verify`: for each data set present, read every split from the files and report counts,
//! shapes and checksums. Every count printed is read from the files, not the manifest.

use super::catalog::Checksum;
use super::catalog::{DatasetSpec, Layout};
use super::download::{digest_reader, file_digest};
use std::path::Path;

/// What `verify` found for one data set.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub name: &'static str,
    /// `(split, images read)` for the splits present.
    pub splits: Vec<(&'static str, usize)>,
    /// Image shape (`HxWxC`) as read.
    pub shape: Option<String>,
    /// Problems found; empty means OK.
    pub problems: Vec<String>,
    /// Remarks that are not problems (a shortened set, checksums checked).
    pub notes: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line: name, splits with counts, OK or what is wrong.
    pub fn line(&self) -> String {
        let counts = self
            .splits
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(" / ");
        let shape = self
            .shape
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let status = if self.ok() {
            "OK".to_string()
        } else {
            format!("PROBLEM: {}", self.problems.join("; "))
        };
        let notes = if self.notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.notes.join("; "))
        };
        format!("{:<20} {counts}{shape}  {status}{notes}", self.name)
    }
}

/// Whether any file of the data set is present under `data_dir`.
pub fn is_present(spec: &DatasetSpec, data_dir: &Path) -> bool {
    spec.splits
        .iter()
        .any(|(split, _)| spec.split_files(data_dir, split).iter().any(|f| f.exists()))
        && spec.dir(data_dir).is_dir()
}

/// Verifies one data set that is present.
pub fn verify(spec: &DatasetSpec, data_dir: &Path) -> VerifyReport {
    let mut report = VerifyReport {
        name: spec.name,
        splits: Vec::new(),
        shape: None,
        problems: Vec::new(),
        notes: Vec::new(),
    };
    for &(split, official) in spec.splits {
        match spec.load(data_dir, split) {
            Ok(dataset) => {
                report.splits.push((split, dataset.len()));
                report.shape = Some(dataset.shape.to_string());
                if dataset.labels.is_none() && matches!(spec.layout, Layout::Folder) {
                    report.notes.push("unlabelled".into());
                }
                if dataset.len() != official
                    && !matches!(spec.layout, Layout::Folder | Layout::PetCatHeads)
                {
                    report.notes.push(format!(
                        "{split}: {} of the official {official}",
                        dataset.len()
                    ));
                }
            }
            Err(e) => report.problems.push(format!("{split}: {e}")),
        }
    }
    for file in spec.files {
        let path = spec.dir(data_dir).join(file.name);
        if !path.exists() {
            continue; // archives are deleted after unpacking
        }
        let (checksum, expected) = match (file.content_sha256, file.checksum) {
            (Some(content), _) => (Checksum::Sha256(content), content),
            (None, c @ Checksum::Sha256(d))
            | (None, c @ Checksum::Sha256Prefix(d))
            | (None, c @ Checksum::Md5(d)) => (c, d),
        };
        let digest = if file.content_sha256.is_some() {
            super::formats::open_maybe_gz(&path)
                .map_err(|e| e.to_string())
                .and_then(|mut r| digest_reader(&mut r, checksum).map_err(|e| e.to_string()))
        } else {
            file_digest(&path, checksum).map_err(|e| e.to_string())
        };
        match digest {
            Ok(d) if super::download::digest_matches(checksum, &d) => {}
            Ok(d) => report
                .problems
                .push(format!("{}: checksum {d}, expected {expected}", file.name)),
            Err(e) => report.problems.push(format!("{}: {e}", file.name)),
        }
    }
    if report.problems.is_empty()
        && spec
            .files
            .iter()
            .any(|f| spec.dir(data_dir).join(f.name).exists())
    {
        report.notes.push("checksums OK".into());
    }
    report
}
