#![no_main]
//! See rolehop::fuzzing::http for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rolehop::fuzzing::http(data));
