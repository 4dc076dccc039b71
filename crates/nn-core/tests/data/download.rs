//! The downloader against a real in-process HTTP server on 127.0.0.1. No internet.

use super::http_server::{Route, TestServer};
use nn_core::data::catalog::{Checksum, RemoteFile, Unpack};
use nn_core::data::download::{DownloadOptions, Fetched, digest_reader, fetch_file};
use std::time::{Duration, Instant};

fn payload() -> Vec<u8> {
    (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> &'static str {
    let digest = digest_reader(&mut &bytes[..], Checksum::Sha256("")).unwrap();
    Box::leak(digest.into_boxed_str())
}

fn remote(urls: Vec<&'static str>, bytes: &[u8]) -> RemoteFile {
    RemoteFile {
        name: "file.bin",
        urls: Box::leak(urls.into_boxed_slice()),
        bytes: Some(bytes.len() as u64),
        checksum: Checksum::Sha256(sha256(bytes)),
        content_sha256: None,
        unpack: Unpack::Keep,
    }
}

/// Short waits, but a timeout that a loaded machine serving loopback never reaches by
/// accident: only the stalled route (20 s) must hit it.
fn quick() -> DownloadOptions {
    DownloadOptions {
        attempts: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        progress: false,
    }
}

#[test]
fn good_file_is_fetched_once_then_recognised() {
    let data = payload();
    let server = TestServer::start(vec![("/good", Route::File(data.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sub/file.bin");
    let file = remote(vec![server.url("/good")], &data);
    assert_eq!(
        fetch_file(&file, &target, &quick()).unwrap(),
        Fetched::Downloaded
    );
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(
        fetch_file(&file, &target, &quick()).unwrap(),
        Fetched::AlreadyVerified
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a verified file is not fetched again"
    );
}

#[test]
fn truncated_transfer_is_resumed_with_range() {
    let data = payload();
    let server = TestServer::start(vec![(
        "/cut",
        Route::TruncateOnce {
            bytes: data.clone(),
            after: 70_000,
        },
    )]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let file = remote(vec![server.url("/cut")], &data);
    assert_eq!(
        fetch_file(&file, &target, &quick()).unwrap(),
        Fetched::Downloaded
    );
    assert_eq!(std::fs::read(&target).unwrap(), data);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].1, None);
    assert_eq!(
        requests[1].1.as_deref(),
        Some("bytes=70000-"),
        "resumed where it stopped"
    );
}

#[test]
fn wrong_checksum_deletes_the_file_and_says_so() {
    let data = payload();
    let server = TestServer::start(vec![("/f", Route::File(data.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let mut file = remote(vec![server.url("/f")], &data);
    file.checksum = Checksum::Sha256(sha256(b"something else"));
    let err = fetch_file(
        &file,
        &target,
        &DownloadOptions {
            attempts: 1,
            ..quick()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert!(!target.exists());
    assert!(
        !dir.path().join("file.bin.part").exists(),
        "the bad file is deleted"
    );
}

#[test]
fn not_found_fails_without_retrying_the_same_url() {
    let data = payload();
    let server = TestServer::start(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let file = remote(vec![server.url("/missing")], &data);
    let err = fetch_file(&file, &dir.path().join("f"), &quick()).unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn stalled_server_times_out_then_mirror_is_used() {
    let data = payload();
    let server = TestServer::start(vec![
        ("/stall", Route::Stall(Duration::from_secs(20))),
        ("/mirror", Route::File(data.clone())),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let file = remote(vec![server.url("/stall"), server.url("/mirror")], &data);
    let options = DownloadOptions {
        attempts: 1,
        ..quick()
    };
    let start = Instant::now();
    assert_eq!(
        fetch_file(&file, &target, &options).unwrap(),
        Fetched::Downloaded
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the stall was cut by the timeout"
    );
    assert_eq!(std::fs::read(&target).unwrap(), data);
    let paths: Vec<String> = server.requests().into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, vec!["/stall", "/mirror"]);
}

#[test]
fn mirror_fallback_after_404() {
    let data = payload();
    let server = TestServer::start(vec![("/ok", Route::File(data.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let file = remote(vec![server.url("/gone"), server.url("/ok")], &data);
    assert_eq!(
        fetch_file(&file, &target, &quick()).unwrap(),
        Fetched::Downloaded
    );
    assert_eq!(std::fs::read(&target).unwrap(), data);
}

/// torchvision names its weights by the first hex digits of their sha256: a file whose
/// digest starts with them is accepted, another is refused and deleted.
#[test]
fn sha256_prefix_checks_torchvision_style_names() {
    let data = payload();
    let server = TestServer::start(vec![("/w.pth", Route::File(data.clone()))]);
    let dir = tempfile::tempdir().unwrap();
    let digest = sha256(&data);
    let mut file = remote(vec![server.url("/w.pth")], &data);
    file.checksum = Checksum::Sha256Prefix(Box::leak(digest[..8].to_string().into_boxed_str()));
    let target = dir.path().join("w.pth");
    assert_eq!(
        fetch_file(&file, &target, &quick()).unwrap(),
        Fetched::Downloaded
    );
    let wrong = if digest.starts_with("00") { "ff" } else { "00" };
    file.checksum = Checksum::Sha256Prefix(wrong);
    let other = dir.path().join("other.pth");
    let error = fetch_file(&file, &other, &quick()).unwrap_err().to_string();
    assert!(error.contains("sha256 (prefix)"), "{error}");
    assert!(!other.exists());
}

/// A server that lies: each ends in an error saying what happened, and no file is left
/// where a later run would take it for the data.
fn fails_cleanly(route: Route, expect: &[&str]) {
    let data = payload();
    let server = TestServer::start(vec![("/f", route)]);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("file.bin");
    let file = remote(vec![server.url("/f")], &data);
    let err = fetch_file(&file, &target, &quick())
        .unwrap_err()
        .to_string();
    for word in expect {
        assert!(err.contains(word), "`{word}` not in: {err}");
    }
    assert!(!target.exists(), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_file_of_another_size_than_announced_is_refused() {
    let other = vec![7u8; 1_000];
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        other.len(),
        String::from_utf8(other).unwrap()
    );
    fails_cleanly(Route::Raw(response), &["announces 1000 bytes", "200000"]);
}

#[test]
fn an_html_error_page_with_status_200_is_refused() {
    let page = "<!DOCTYPE html><html><body>Quota exceeded</body></html>";
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    fails_cleanly(Route::Raw(response), &["HTML page"]);
}

#[test]
fn a_redirect_loop_ends_in_an_error() {
    let response =
        "HTTP/1.1 302 Found\r\nLocation: /f\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    fails_cleanly(Route::Raw(response.into()), &["redirect"]);
}
