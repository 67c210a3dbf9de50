//! Fuzz target `callback`: the properties are in tests/support/fuzz_invariants.rs,
//! shared with the regression test that replays saved crashes.
#![no_main]

#[path = "../../tests/support/fuzz_invariants.rs"]
mod invariants;
#[path = "../common/overflow.rs"]
mod overflow;

libfuzzer_sys::fuzz_target!(init: overflow::install(), |data: &[u8]| invariants::callback(data));
