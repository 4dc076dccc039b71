//! The choices the command line offers by name: a preset and a backend.

/// Which preset to start from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Minutes on 2 CPU cores, small data.
    Quick,
    /// The real assignment.
    Full,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }
}

/// A burn backend that can be picked with `--backend`. Each is behind the cargo feature
/// of the same name; a kind that was not compiled in is a clear error, not a panic.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend (SIMD, multi-threaded). The default.
    Flex,
    /// The ndarray CPU backend (deprecated upstream; slow convolution backward).
    Ndarray,
    /// GPU through wgpu (Vulkan, Metal, DX12).
    Wgpu,
    /// NVIDIA GPU through CUDA (needs a network to build).
    Cuda,
}

impl BackendKind {
    /// The backends compiled into this binary.
    pub fn available() -> Vec<BackendKind> {
        [Self::Flex, Self::Ndarray, Self::Wgpu, Self::Cuda]
            .into_iter()
            .filter(|kind| kind.is_compiled())
            .collect()
    }

    /// The best backend this binary has: a GPU one when compiled in, else `flex`.
    pub fn preferred() -> BackendKind {
        [Self::Cuda, Self::Wgpu, Self::Flex, Self::Ndarray]
            .into_iter()
            .find(|kind| kind.is_compiled())
            .unwrap_or(Self::Flex)
    }

    /// Lower-case name, as on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// Whether this backend was built in (nn-core turns on this crate's feature of the
    /// same name with its own; this crate has no backend code).
    pub fn is_compiled(self) -> bool {
        match self {
            Self::Flex => cfg!(feature = "flex"),
            Self::Ndarray => cfg!(feature = "ndarray"),
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
