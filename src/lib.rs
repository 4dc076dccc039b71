pub use nn_core;
