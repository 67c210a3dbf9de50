//! How many allocations the seed request costs, counted by a global
//! allocator (per thread, so other tests do not interfere). Deterministic,
//! unlike times: a change that adds an allocation to the hot path fails
//! here. docs/performance.md lists what each remaining allocation is.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use oauth_policy::{Policy, Request};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

const SEED: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=00001111-aaaa-2222-bbbb-3333cccc4444&response_type=code&redirect_uri=https%3A%2F%2Fgateway.example.com%2Foauth%2Fcallback&scope=openid%20offline_access%20api%3A%2F%2F00001111-aaaa-2222-bbbb-3333cccc4444%2Fmcp.access&resource=https%3A%2F%2Fmcp.example.com&state=xyz123&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

#[test]
fn reading_the_seed_url_copies_it_once_and_nothing_else() {
    let (req, n) = allocations(|| Request::authorize(SEED).unwrap());
    assert_eq!(n, 1, "only the URL's own copy");
    drop(req);
}

#[test]
fn the_seed_request_end_to_end_stays_within_its_allocations() {
    let policy = Policy::builtin();
    // Warm up: the first match fills the regexes' lazy caches.
    policy.apply(&Request::authorize(SEED).unwrap());
    let (out, n) = allocations(|| {
        let req = Request::authorize(SEED).unwrap();
        policy.apply(&req)
    });
    assert!(!out.url().contains("resource="));
    // The URL copy, the output URL, and the one change's parameter name
    // (an owned `String` of the public `Change`). Not allocated: `scope`
    // (`remove "groups" from scope` reads it without decoding), the changes
    // list (inline for one), the rule id and provider name (shared).
    assert!(n <= 3, "{n} allocations for the seed request");
}
