//! The kernels against burn's own ops on random shapes (outputs and every gradient), the
//! layer functions' routing, and the fallback on a backend without the kernels: one test
//! binary.

mod cases;
