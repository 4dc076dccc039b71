//! The machine a run ran on: CPU model, the vector extensions that matter to the kernels,
//! threads. Recorded in every `summary.json`, because the same seed gives other digits on
//! another CPU (the matrix kernels are chosen at run time by its extensions).

/// CPU, vector extensions and threads of this machine.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Host {
    pub cpu: String,
    /// The vector extensions present (avx2, fma, avx512f, ...).
    pub flags: Vec<String>,
    /// Threads the backends use (the cores available to this process).
    pub threads: usize,
    pub os: String,
}

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

impl Host {
    /// Reads `/proc/cpuinfo` (the architecture's name where it is absent).
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Self::from_cpuinfo(&cpuinfo)
    }

    fn from_cpuinfo(cpuinfo: &str) -> Self {
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
        }
    }

    /// `AMD EPYC (avx2 fma avx512f), 2 threads`.
    pub fn label(&self) -> String {
        format!(
            "{} ({}), {} threads",
            self.cpu,
            self.flags.join(" "),
            self.threads
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_model_and_only_the_extensions_that_matter() {
        let host = Host::from_cpuinfo(
            "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f ht\n",
        );
        assert_eq!(host.cpu, "AMD EPYC");
        assert_eq!(host.flags, ["sse4_2", "avx", "avx2", "fma", "avx512f"]);
        assert!(
            host.label()
                .starts_with("AMD EPYC (sse4_2 avx avx2 fma avx512f), ")
        );
    }
}
