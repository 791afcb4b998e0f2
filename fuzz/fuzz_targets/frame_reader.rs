//! The Excrypt frame reader (`hostapi::frame::scan` and `parse`) and encoder, on arbitrary bytes; the checks are in `fxconfig::fuzzing::frame_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fxconfig::fuzzing::frame_reader(data));
