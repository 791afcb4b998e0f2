//! The PKCS#12 scanner (the structure read without the password), on arbitrary bytes; the checks are in `fxconfig::fuzzing::pkcs12_scanner`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fxconfig::fuzzing::pkcs12_scanner(data));
