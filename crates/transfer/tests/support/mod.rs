//! Helpers shared by the transfer tests.

pub mod torch_files;
