//! What the targets share: the context byte, and checks every decoded option must pass.
#![allow(dead_code)]

use mptcp_parse::{Context, Decoded, EmitError, MptcpOption, Segment};

/// The context an options area is decoded in, from one input byte:
///
/// | bits | meaning |
/// |------|---------|
/// | 0..3 | SYN, ACK, RST, payload |
/// | 4    | the segment is known (else `segment: None`) |
/// | 5..7 | FAULT_ANNOUNCE subtype: 0 off, n = 8 + n (1 = 9, the default; 7 = 15, private use) |
pub fn context(byte: u8) -> Context {
    let segment = Segment {
        syn: byte & 1 != 0,
        ack: byte & 2 != 0,
        rst: byte & 4 != 0,
        payload: byte & 8 != 0,
    };
    let code = byte >> 5;
    let fault = if code == 0 { Some(0) } else { Some(8 + code) };
    let ctx = if byte & 0x10 != 0 {
        Context::on(segment)
    } else {
        Context::UNKNOWN_SEGMENT
    };
    ctx.with_fault_announce_subtype(fault)
        .expect("9 to 15, or off")
}

/// Everything one can ask of a decoded option must not panic, and what it says must agree
/// with itself.
pub fn exercise(option: &MptcpOption<'_>, ctx: &Context) {
    let name = option.name();
    assert!(!name.is_empty());
    let subtype = option.subtype();
    assert!(subtype < 16, "subtype {subtype} of {option:?}");
    let warnings = option.warnings(ctx);
    assert!(warnings.len() <= mptcp_parse::Warnings::CAPACITY);
    assert_eq!(warnings.iter().count(), warnings.len());
    for w in &warnings {
        let _ = format!("{w}");
    }
    let _ = format!("{option:?}");

    // Every option emits into exactly buffer_len bytes, and re-parses as itself.
    let len = option.buffer_len();
    assert!((3..=255).contains(&len), "buffer_len {len} of {option:?}");
    let mut buf = [0u8; 256];
    assert!(
        matches!(option.emit(&mut buf[..len - 1]), Err(EmitError::BufferTooSmall { needed, .. }) if needed == len),
        "emit into {} bytes for {option:?}",
        len - 1
    );
    assert_eq!(option.emit(&mut buf), Ok(len), "{option:?}");
    assert_eq!(buf[0], mptcp_parse::MPTCP_KIND);
    assert_eq!(buf[1] as usize, len);
    assert_eq!(buf[2] >> 4, subtype);
    let (rest, again) = mptcp_parse::parse_mptcp_option_lenient(&buf[..len], ctx);
    assert!(rest.is_empty());
    assert_eq!(
        again.option.as_ref(),
        Ok(option),
        "emitted {:02x?}",
        &buf[..len]
    );
}

/// A lenient decode: an error carries no warnings and prints.
pub fn check_decoded(d: &Decoded<'_>, ctx: &Context) {
    match &d.option {
        Ok(option) => {
            assert_eq!(d.warnings, option.warnings(ctx));
            exercise(option, ctx);
        }
        Err(e) => {
            assert!(d.warnings.is_empty());
            let _ = format!("{e}");
            assert!(!e.field().is_empty());
        }
    }
}
