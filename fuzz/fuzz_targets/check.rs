#![no_main]
//! See rolehop::fuzzing::check for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rolehop::fuzzing::check(data));
