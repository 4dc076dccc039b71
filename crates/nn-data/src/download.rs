//! Fetching data sets: resumable HTTP download (Range) with retries, backoff and mirrors,
//! checksum verification before the file is moved into place, and `.tar.gz` unpacking.

use super::catalog::{Checksum, DatasetSpec, RemoteFile, Unpack};
use crate::error::{DownloadError, Error, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Attempts per source before moving on to the next mirror.
    pub attempts: u32,
    /// Wait before the second attempt; doubled each time.
    pub backoff: Duration,
    /// Connect and read timeout (a stalled server fails after this long).
    pub timeout: Duration,
    /// Draw a progress bar per file.
    pub progress: bool,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
            progress: true,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Already there with the right checksum; nothing fetched.
    AlreadyVerified,
    /// Downloaded (and verified) now.
    Downloaded,
}

/// Hex digest of a file with the given algorithm.
pub fn file_digest(path: &Path, checksum: Checksum) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    digest_reader(&mut file, checksum)
}

/// Hex digest of everything a reader yields.
pub fn digest_reader(reader: &mut impl Read, checksum: Checksum) -> std::io::Result<String> {
    use md5::Digest as _;
    let mut buf = vec![0u8; 1 << 20];
    let mut sha = sha2::Sha256::new();
    let mut md = md5::Md5::new();
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        match checksum {
            Checksum::Sha256(_) | Checksum::Sha256Prefix(_) => sha.update(&buf[..n]),
            Checksum::Md5(_) => md.update(&buf[..n]),
        }
    }
    Ok(match checksum {
        Checksum::Sha256(_) | Checksum::Sha256Prefix(_) => hex(&sha.finalize()),
        Checksum::Md5(_) => hex(&md.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn expected_digest(checksum: Checksum) -> (&'static str, &'static str) {
    match checksum {
        Checksum::Sha256(d) => ("sha256", d),
        Checksum::Sha256Prefix(d) => ("sha256 (prefix)", d),
        Checksum::Md5(d) => ("md5", d),
    }
}

/// Whether a hex digest computed with [`file_digest`] satisfies `checksum`.
pub fn digest_matches(checksum: Checksum, actual: &str) -> bool {
    match checksum {
        Checksum::Sha256Prefix(prefix) => actual.starts_with(prefix),
        Checksum::Sha256(d) | Checksum::Md5(d) => actual == d,
    }
}

/// Downloads `file` from its sources into `target` (a final path): resumes a `.part` file
/// left by an earlier try, verifies the checksum, then renames into place. A file already
/// at `target` with the right checksum is not fetched again.
pub fn fetch_file(file: &RemoteFile, target: &Path, options: &DownloadOptions) -> Result<Fetched> {
    let (algo, expected) = expected_digest(file.checksum);
    if target.exists()
        && (digest_matches(
            file.checksum,
            &file_digest(target, file.checksum).map_err(|e| Error::io(target, e))?,
        ) || content_matches(file, target))
    {
        return Ok(Fetched::AlreadyVerified);
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let part = part_path(target);
    let mut last = String::from("no source");
    for url in file.urls {
        for attempt in 0..options.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(options.backoff * 2u32.pow(attempt - 1));
            }
            match transfer(url, &part, file.bytes, options) {
                Ok(()) => {}
                Err(DownloadError::Status { status, .. })
                    if (400..500).contains(&status) && status != 416 =>
                {
                    last = format!("{url}: HTTP {status}");
                    break; // a client error will not change on retry: next mirror
                }
                Err(e @ DownloadError::WrongContent { .. }) => {
                    last = e.to_string();
                    eprintln!("{last}");
                    break; // the same address would send the same thing: next mirror
                }
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            }
            let actual = file_digest(&part, file.checksum).map_err(|e| Error::io(&part, e))?;
            if !digest_matches(file.checksum, &actual) {
                let _ = std::fs::remove_file(&part);
                last = DownloadError::Checksum {
                    file: target.to_path_buf(),
                    algo,
                    expected: expected.to_string(),
                    actual,
                }
                .to_string();
                eprintln!("{last}");
                continue;
            }
            std::fs::rename(&part, target).map_err(|e| Error::io(target, e))?;
            return Ok(Fetched::Downloaded);
        }
    }
    Err(DownloadError::AllSourcesFailed {
        name: file.name.to_string(),
        last,
    }
    .into())
}

fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    target.with_file_name(name)
}

/// One HTTP transfer into `part`, continuing from its current length with a Range request.
fn transfer(
    url: &str,
    part: &Path,
    size: Option<u64>,
    options: &DownloadOptions,
) -> Result<(), DownloadError> {
    let io_err = |e: std::io::Error| DownloadError::Io {
        path: part.to_path_buf(),
        source: e,
    };
    let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    if size.is_some_and(|s| s == have) {
        return Ok(()); // complete from an earlier try; the checksum decides
    }
    let Some(response) = request(url, have, options)? else {
        return Ok(()); // nothing left to send
    };
    let resumed = response.status() == 206;
    let start = if resumed { have } else { 0 };
    let length = response
        .header("Content-Length")
        .and_then(|v| v.parse::<u64>().ok())
        .map(|l| l + start);
    check_response(url, &response, length, size)?;
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(part)
        .map_err(io_err)?;
    let bar = progress_bar(options.progress, length.or(size), start, url);
    let received = copy_body(url, response.into_reader(), &mut out, &bar, start, io_err)?;
    out.sync_all().map_err(io_err)?;
    bar.finish_and_clear();
    if let Some(length) = length
        && received < length
    {
        return Err(DownloadError::Transfer {
            url: url.to_string(),
            reason: format!("connection closed after {received} of {length} bytes"),
        });
    }
    Ok(())
}

/// Sends the GET, asking for the bytes from `have` on when some are already here; `None`
/// when the server says nothing is left to send (416).
fn request(
    url: &str,
    have: u64,
    options: &DownloadOptions,
) -> Result<Option<ureq::Response>, DownloadError> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(options.timeout)
        .timeout_read(options.timeout)
        .build();
    let mut request = agent.get(url);
    if have > 0 {
        request = request.set("Range", &format!("bytes={have}-"));
    }
    let response = match request.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(416, _)) => return Ok(None),
        Err(ureq::Error::Status(status, _)) => {
            return Err(DownloadError::Status {
                url: url.to_string(),
                status,
            });
        }
        Err(e) => {
            return Err(DownloadError::Transfer {
                url: url.to_string(),
                reason: e.to_string(),
            });
        }
    };
    Ok(Some(response))
}

/// Refuses an HTML page in place of the file, and a length that is not the file's.
fn check_response(
    url: &str,
    response: &ureq::Response,
    length: Option<u64>,
    size: Option<u64>,
) -> Result<(), DownloadError> {
    let wrong = |reason: String| DownloadError::WrongContent {
        url: url.to_string(),
        reason,
    };
    if response.content_type().eq_ignore_ascii_case("text/html") {
        return Err(wrong(
            "the server sent an HTML page (an error, quota or sign-in page?) instead of the file; try again later or fetch it by hand into the data folder".into(),
        ));
    }
    if let (Some(length), Some(size)) = (length, size)
        && length != size
    {
        return Err(wrong(format!(
            "the server announces {length} bytes, the file has {size}; nothing was kept"
        )));
    }
    Ok(())
}

/// Copies the body into `out`, moving the progress bar; returns the bytes the part file
/// now holds (`start` + those received).
fn copy_body(
    url: &str,
    mut reader: impl Read,
    out: &mut std::fs::File,
    bar: &indicatif::ProgressBar,
    start: u64,
    io_err: impl Fn(std::io::Error) -> DownloadError,
) -> Result<u64, DownloadError> {
    let mut buf = vec![0u8; 256 << 10];
    let mut received = start;
    loop {
        let n = reader.read(&mut buf).map_err(|e| DownloadError::Transfer {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n]).map_err(&io_err)?;
        received += n as u64;
        bar.set_position(received);
    }
    Ok(received)
}

fn progress_bar(show: bool, total: Option<u64>, start: u64, url: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    bar.set_position(start);
    bar
}

/// Unpacks a `.tar.gz` into `dest` (paths are kept inside `dest`).
pub fn unpack_tar_gz(archive: &Path, dest: &Path) -> Result<()> {
    let file = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    tar.unpack(dest).map_err(|e| {
        DownloadError::Unpack {
            path: archive.to_path_buf(),
            reason: e.to_string(),
        }
        .into()
    })
}

/// Whether a `.gz` file that is not the official bytes unpacks to the official content
/// (a recompressed copy, as `verify` accepts it).
fn content_matches(file: &RemoteFile, target: &Path) -> bool {
    let Some(content) = file.content_sha256 else {
        return false;
    };
    super::formats::open_maybe_gz(target)
        .ok()
        .and_then(|mut reader| digest_reader(&mut reader, Checksum::Sha256(content)).ok())
        .is_some_and(|digest| digest_matches(Checksum::Sha256(content), &digest))
}

/// Fetches every file of a data set into `<data dir>/<name>/`, unpacking archives. Archives
/// leave a stamp so a verified, unpacked archive is not fetched again.
pub fn fetch_dataset(
    spec: &DatasetSpec,
    data_dir: &Path,
    options: &DownloadOptions,
) -> Result<Vec<Fetched>> {
    let dir = spec.dir(data_dir);
    let mut results = Vec::new();
    for file in spec.files {
        match file.unpack {
            Unpack::Keep => results.push(fetch_file(file, &dir.join(file.name), options)?),
            Unpack::TarGz => {
                let stamp = dir.join(format!(".{}.unpacked", file.name));
                if stamp.exists() {
                    results.push(Fetched::AlreadyVerified);
                    continue;
                }
                let archive = dir.join(file.name);
                let fetched = fetch_file(file, &archive, options)?;
                unpack_tar_gz(&archive, &dir)?;
                let (_, digest) = expected_digest(file.checksum);
                std::fs::write(&stamp, digest).map_err(|e| Error::io(&stamp, e))?;
                std::fs::remove_file(&archive).map_err(|e| Error::io(&archive, e))?;
                results.push(fetched);
            }
        }
    }
    Ok(results)
}

/// Builds a derived data set from its source, as a flat PNG folder: `cats` is every cat
/// of CIFAR-10 (train and test), `cat-faces` every cat head of Oxford-IIIT Pet. Written to
/// a temporary folder, then renamed.
pub fn derive_dataset(spec: &DatasetSpec, data_dir: &Path) -> Result<Fetched> {
    let dir = spec.dir(data_dir);
    if dir.is_dir()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        return Ok(Fetched::AlreadyVerified);
    }
    let source = super::catalog::find(spec.derived_from.unwrap_or("cifar-10"))?;
    let tmp = data_dir.join(format!(".{}.tmp", spec.name));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut written = 0usize;
    if source.name == "oxford-iiit-pet" {
        let faces = source.load(data_dir, "trainval")?;
        for i in 0..faces.len() {
            let path = tmp.join(format!("pet-head-{i:05}.png"));
            super::formats::image_folder::save_png(&path, faces.shape, faces.image(i))?;
            written += 1;
        }
    }
    for split in ["train", "test"]
        .into_iter()
        .filter(|_| source.name == "cifar-10")
    {
        let images = source.load(data_dir, split)?;
        for i in 0..images.len() {
            if images
                .labels
                .as_ref()
                .is_some_and(|l| l[i] == super::catalog::CIFAR10_CAT)
            {
                let path = tmp.join(format!("cifar10-{split}-{i:05}.png"));
                super::formats::image_folder::save_png(&path, images.shape, images.image(i))?;
                written += 1;
            }
        }
    }
    if written == 0 {
        return Err(Error::Other(format!(
            "no cat images found in {}; download it again",
            source.dir(data_dir).display()
        )));
    }
    let _ = std::fs::remove_dir(&dir);
    std::fs::rename(&tmp, &dir).map_err(|e| Error::io(&dir, e))?;
    Ok(Fetched::Downloaded)
}
