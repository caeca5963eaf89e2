#![no_main]
libfuzzer_sys::fuzz_target!(init: assay_tests::fuzz::module_abi_init(), |data: &[u8]| assay_tests::fuzz::module_abi(data));
