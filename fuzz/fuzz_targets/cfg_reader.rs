//! The cfg reader (`CfgDocument::parse`, its views and its editor), on arbitrary bytes; the checks are in `fxconfig::fuzzing::cfg_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fxconfig::fuzzing::cfg_reader(data));
