//! Runs one engine path in a loop, for `valgrind --tool=callgrind` (whose
//! instruction counts are stable on a noisy machine) and for allocation
//! counts (a counting global allocator). docs/performance.md has the
//! commands:
//!
//!     cargo run --release --example profile -- PATH [ITERATIONS]
//!
//! PATH is `seed` (authorize URL → rewritten URL), `seed-parse`,
//! `seed-apply`, `token`, `callback` (Entra error → verdict), `decide`
//! (verdict of a parsed callback), `load` (the shipped library),
//! `load-1051` (1051 generated providers), or a baseline: `hand-seed`,
//! `hand-token`, `hand-callback`.

#[path = "../benches/support/cases.rs"]
mod cases;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use oauth_policy::{Callback, Expectations, Policy, Request};

/// Counts allocations and reallocations (frees are not interesting here).
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static REALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "seed".into());
    let n: usize = args
        .next()
        .map_or(10_000, |s| s.parse().expect("ITERATIONS"));
    let policy = Policy::builtin();
    let base = cases::Baseline::new();
    let expect = Expectations::new()
        .with_provider("microsoft-entra-v2")
        .with_expected_state(cases::STATE);
    let parsed = Request::authorize(cases::SEED).unwrap();
    let callback = Callback::from_url(cases::ENTRA_ERROR).unwrap();
    let generated = cases::generated_policy(1050);
    let mut run: Box<dyn FnMut() -> usize> = match path.as_str() {
        "seed" => Box::new(|| {
            let req = Request::authorize(black_box(cases::SEED)).unwrap();
            policy.apply(&req).url().len()
        }),
        "seed-parse" => Box::new(|| {
            Request::authorize(black_box(cases::SEED))
                .unwrap()
                .url()
                .len()
        }),
        "seed-apply" => Box::new(|| policy.apply(black_box(&parsed)).url().len()),
        "token" => Box::new(|| {
            let req = Request::token(cases::TOKEN_URL, black_box(cases::TOKEN_BODY)).unwrap();
            policy.apply(&req).body().map_or(0, str::len)
        }),
        "callback" => Box::new(|| {
            let cb = Callback::from_url(black_box(cases::ENTRA_ERROR)).unwrap();
            policy.classify(&cb, &expect).unwrap().rule.len()
        }),
        "decide" => Box::new(|| {
            policy
                .classify(black_box(&callback), &expect)
                .unwrap()
                .rule
                .len()
        }),
        "load" => Box::new(|| Policy::try_builtin().unwrap().files().len()),
        "load-1051" => Box::new(|| {
            Policy::parse("gen.policy", black_box(&generated))
                .unwrap()
                .files()
                .len()
        }),
        "hand-seed" => Box::new(|| base.authorize(black_box(cases::SEED)).len()),
        "hand-token" => Box::new(|| {
            base.token(cases::TOKEN_URL, black_box(cases::TOKEN_BODY))
                .len()
        }),
        "hand-callback" => Box::new(|| {
            base.callback(black_box(cases::ENTRA_ERROR), cases::STATE)
                .category
                .len()
        }),
        other => panic!("unknown path {other}"),
    };
    // One warm-up round (lazy DFA caches, the builtin's first compile).
    black_box(run());
    let (a0, r0, b0) = counts();
    let mut sink = 0;
    for _ in 0..n {
        sink += black_box(run());
    }
    let (a1, r1, b1) = counts();
    let per = |x: usize| x as f64 / n as f64;
    println!(
        "{path}: {n} iterations; per iteration {:.1} allocations, {:.1} reallocations, {:.0} bytes (sink {sink})",
        per(a1 - a0),
        per(r1 - r0),
        per(b1 - b0)
    );
}

fn counts() -> (usize, usize, usize) {
    (
        ALLOCS.load(Ordering::Relaxed),
        REALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}
