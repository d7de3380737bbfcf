#![no_main]
//! See rolehop::fuzzing::config_file for the input format and the invariants.

libfuzzer_sys::fuzz_target!(|data: &[u8]| rolehop::fuzzing::config_file(data));
