//! One MPTCP option of arbitrary bytes: when the strict decoder accepts it, emit must give
//! back exactly the bytes it consumed, and those must decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mptcp_parse::{parse_mptcp_option, parse_mptcp_option_lenient, Context};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let ctx = Context::default();
    let lenient = parse_mptcp_option_lenient(data, &ctx);
    common::check_decoded(&lenient.1, &ctx);
    assert!(lenient.0.len() <= data.len());

    let Ok((rest, option)) = parse_mptcp_option(data, &ctx) else {
        return;
    };
    // Strict success implies lenient success with the same value and the same rest.
    assert_eq!(lenient.1.option.as_ref(), Ok(&option));
    assert_eq!(lenient.0, rest);

    let consumed = &data[..data.len() - rest.len()];
    assert_eq!(
        consumed.len(),
        data[1] as usize,
        "an option is exactly its length byte long"
    );
    let len = option.buffer_len();
    let mut buf = [0u8; 256];
    assert_eq!(option.emit(&mut buf), Ok(len));
    assert_eq!(&buf[..len], consumed, "emit(parse(b)) != b for {option:?}");
    let (rest2, again) = parse_mptcp_option(&buf[..len], &ctx).expect("re-parse of emitted bytes");
    assert!(rest2.is_empty());
    assert_eq!(again, option);
    common::exercise(&option, &ctx);
});
