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

impl Machine {
    pub fn read() -> Self {
        let host = nn_core::host::Host::read();
        Self {
            cpu: host.cpu,
            flags: host.flags,
            threads: host.threads,
            os: host.os,
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
