//! Hot reload in your own process: watch a policy directory and decide
//! each request with whatever policy is current.
//!
//! ```sh
//! cargo run --example watch --features watch -- policies/
//! ```
//! Then edit a file under `policies/` (or break one) and watch the log.

use std::time::Duration;

use oauth_policy::store::{PolicyStore, ReloadResult};
use oauth_policy::Request;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "policies".into());
    // Loads now (an invalid directory is an error here, as with
    // `Policy::load`), then reloads in the background; a bad edit keeps the
    // last good policy.
    let store = PolicyStore::builder()
        .dir(&dir)
        .on_reload(|e| match e.result {
            ReloadResult::Swapped => eprintln!("reloaded: {} -> {}", e.previous, e.revision),
            ReloadResult::Failed => eprintln!(
                "reload failed, keeping {}: {}",
                e.revision,
                e.error.map(|e| e.to_string()).unwrap_or_default()
            ),
            _ => {}
        })
        .build()?;

    let url = "https://login.microsoftonline.com/t/oauth2/v2.0/authorize\
               ?client_id=c&response_type=code&scope=openid&resource=https%3A%2F%2Fapi.example.com";
    for _ in 0..30 {
        // Per request: one lock-free load; the policy stays valid for as
        // long as you hold it, whatever reloads meanwhile.
        let policy = store.current();
        let outcome = policy.apply(&Request::authorize(url)?);
        let status = store.status();
        println!(
            "revision {} (generation {}, stale {}): {}",
            status.revision,
            status.generation,
            status.stale,
            outcome.url()
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    Ok(())
}
