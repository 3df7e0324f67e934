#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kintsugi_fuzz::fuzz(
    kintsugi_fuzz::targets::frames,
    data
));
