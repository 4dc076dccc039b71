//! What the bench ran on: CPU model, the SIMD flags that matter to kernels, cores, date.

/// The machine and software of a bench run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub cpu: String,
    /// The vector extensions present (avx2, fma, avx512f, ...).
    pub flags: Vec<String>,
    /// Threads the backends and PyTorch use (the cores available to this process).
    pub threads: usize,
    pub os: String,
    pub burn: String,
    pub ngvm: String,
    /// UTC, to the second.
    pub date: String,
}

/// burn is pinned to this version in the workspace manifest (`=0.22.1`).
const BURN_VERSION: &str = "0.22.1";

const FLAGS: &[&str] = &[
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "neon",
    "asimd",
];

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split(':').nth(1))
                .map(|v| v.trim().to_string())
        };
        let present: Vec<String> = field("flags")
            .or_else(|| field("Features"))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        Self {
            cpu: field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string()),
            flags: FLAGS
                .iter()
                .filter(|f| present.iter().any(|p| p == *f))
                .map(|f| f.to_string())
                .collect(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            burn: BURN_VERSION.to_string(),
            ngvm: env!("CARGO_PKG_VERSION").to_string(),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }

    /// One line for the terminal and the top of `results.md`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}), {} threads, {}; burn {}, ngvm {}; {}",
            self.cpu,
            self.flags.join(" "),
            self.threads,
            self.os,
            self.burn,
            self.ngvm,
            self.date
        )
    }
}
