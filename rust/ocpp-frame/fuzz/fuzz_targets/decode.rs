//! Arbitrary bytes into the decoder: it must never panic, and whatever it accepts must
//! survive encode and decode unchanged. Run with `cargo +nightly fuzz run decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocpp_frame::{decode_with, encode, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_len: 4096,
        max_depth: 16,
    };
    match decode_with(data, limits) {
        Ok(frame) => {
            if let Ok(text) = encode(&frame) {
                assert_eq!(decode_with(text.as_bytes(), limits).as_ref(), Ok(&frame));
            }
        }
        Err(e) => assert!(e.reply_to().is_none_or(|id| id.chars().count() <= 36)),
    }
});
