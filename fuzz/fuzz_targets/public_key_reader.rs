//! The public-key reader (`sshkey::render`), on arbitrary bytes; the checks are in `fxconfig::fuzzing::public_key_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fxconfig::fuzzing::public_key_reader(data));
