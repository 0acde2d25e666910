#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| customer_wire::fuzz_targets::wc_legacy_request(data));
