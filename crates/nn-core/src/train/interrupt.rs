//! Ctrl-C during training. The first SIGINT asks the loop to stop before its next batch;
//! [`fit`](super::fit) saves the state as it stands and the error names the `--resume`
//! command. A second SIGINT exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed since the handler was installed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Asks the running loop to stop as Ctrl-C does (for a caller that stops a run itself,
/// and for tests). The request stays until [`clear`].
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Withdraws a request (for tests, and for a caller that handled the interrupt and goes
/// on training).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Installs the SIGINT handler (once per process; [`super::fit`] calls it).
pub fn install() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: the handler only touches an atomic and calls write(2)/_exit(2), both
        // async-signal-safe.
        ONCE.call_once(|| unsafe {
            libc::signal(
                libc::SIGINT,
                on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        });
    }
}

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    if REQUESTED.swap(true, Ordering::SeqCst) {
        // SAFETY: _exit is async-signal-safe; the second Ctrl-C means "now".
        unsafe { libc::_exit(130) };
    }
    let message = b"\ninterrupted: stopping after this step (Ctrl-C again to quit at once)\n";
    // SAFETY: write(2) on stderr with a valid buffer is async-signal-safe.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
    }
}
