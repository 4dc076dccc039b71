//! A real HTTP/1.1 server on 127.0.0.1 for the downloader tests: serves files with Range
//! support and can misbehave on purpose (truncate, 404, stall).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a path answers.
#[derive(Clone)]
pub enum Route {
    /// 200 or 206 with the bytes.
    File(Vec<u8>),
    /// First request: announce the full length but close after `after` bytes; later
    /// requests behave like `File`.
    TruncateOnce { bytes: Vec<u8>, after: usize },
    /// Sleep before answering.
    Stall(Duration),
    /// This exact response (status line, headers, body), for servers that lie.
    Raw(String),
}

#[derive(Default)]
pub struct Log {
    /// `(path, Range header)` of every request, in order.
    pub requests: Vec<(String, Option<String>)>,
}

pub struct TestServer {
    pub base: String,
    pub log: Arc<Mutex<Log>>,
}

impl TestServer {
    pub fn start(routes: Vec<(&str, Route)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<HashMap<String, Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect(),
        );
        let log = Arc::new(Mutex::new(Log::default()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (routes, log) = (routes.clone(), log2.clone());
                std::thread::spawn(move || {
                    let _ = handle(stream, &routes, &log);
                });
            }
        });
        Self { base, log }
    }

    pub fn url(&self, path: &str) -> &'static str {
        Box::leak(format!("{}{path}", self.base).into_boxed_str())
    }

    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.log.lock().unwrap().requests.clone()
    }
}

fn handle(
    mut stream: TcpStream,
    routes: &HashMap<String, Route>,
    log: &Mutex<Log>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    let first = {
        let mut log = log.lock().unwrap();
        let first = !log.requests.iter().any(|(p, _)| *p == path);
        log.requests.push((path.clone(), range.clone()));
        first
    };
    match routes.get(&path) {
        None => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        Some(Route::Stall(wait)) => {
            std::thread::sleep(*wait);
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        Some(Route::File(bytes)) => serve(&mut stream, bytes, range.as_deref(), None),
        Some(Route::Raw(response)) => stream.write_all(response.as_bytes()),
        Some(Route::TruncateOnce { bytes, after }) => serve(
            &mut stream,
            bytes,
            range.as_deref(),
            first.then_some(*after),
        ),
    }
}

fn serve(
    stream: &mut TcpStream,
    bytes: &[u8],
    range: Option<&str>,
    cut: Option<usize>,
) -> std::io::Result<()> {
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    if start >= bytes.len() && start > 0 {
        return stream.write_all(
            b"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let body = &bytes[start..];
    let status = if start > 0 {
        "206 Partial Content"
    } else {
        "200 OK"
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    )?;
    if start > 0 {
        write!(
            stream,
            "Content-Range: bytes {start}-{}/{}\r\n",
            bytes.len() - 1,
            bytes.len()
        )?;
    }
    stream.write_all(b"\r\n")?;
    let send = cut.map_or(body.len(), |c| c.min(body.len()));
    stream.write_all(&body[..send])?;
    stream.flush()
}
