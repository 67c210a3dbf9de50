//! Makes a stack overflow a saved crash instead of a silent death.
//!
//! libFuzzer's own `main` runs the target, so Rust's runtime never installs
//! its guard-page handler, and libFuzzer's SIGSEGV handler runs on the
//! overflowed stack and dies before it can save the input. This installs a
//! SIGSEGV/SIGBUS handler on an alternate stack that only raises SIGABRT:
//! libFuzzer's abort handler then runs (on that alternate stack, which has
//! room) and writes the input to `artifacts/<target>/crash-…`. Run with
//! `-handle_segv=0 -handle_bus=0` so libFuzzer does not replace it.

use std::sync::Once;

/// Installs the handler once per process.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // 1 MiB: libFuzzer's crash report and artifact writing run here.
        const SIZE: usize = 1 << 20;
        let stack = Box::leak(vec![0u8; SIZE].into_boxed_slice());
        // SAFETY: the alternate stack is leaked, so it outlives the process's
        // use of it; the sigaction structs are zeroed then filled as POSIX
        // requires; the handler only calls async-signal-safe functions.
        unsafe {
            let ss = libc::stack_t {
                ss_sp: stack.as_mut_ptr().cast(),
                ss_flags: 0,
                ss_size: SIZE,
            };
            libc::sigaltstack(&ss, std::ptr::null_mut());
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_ONSTACK | libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut());
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

extern "C" fn handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    const MSG: &[u8] =
        b"\n==fuzz== SIGSEGV (stack overflow?): aborting so libFuzzer saves the input\n";
    // SAFETY: write(2) and abort(3) are async-signal-safe.
    unsafe {
        libc::write(2, MSG.as_ptr().cast(), MSG.len());
        libc::abort();
    }
}
