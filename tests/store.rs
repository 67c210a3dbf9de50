#![cfg(feature = "watch")]
