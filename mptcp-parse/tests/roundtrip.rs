//! Properties of the decoder and encoder over generated options and arbitrary bytes:
//! `parse(emit(x)) == x`, `emit(parse(b)) == b` for every byte string the strict decoder
//! accepts, no panic and a bounded walk over any options area, and `emit` refusing buffers
//! that are too small without writing to them.

use mptcp_parse::nom;
use mptcp_parse::{
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, raw_options,
    tcp_options, AddAddr, AddAddrVersion, CapableFlags, CapableForm, Context, DataSeq, Dss,
    EmitError, Error, FaultAnnounce, FaultCause, JoinForm, Mapping, MpCapable, MpFail, MpFastclose,
    MpJoin, MpPrio, MpTcpRst, MptcpOption, Opaque, RemoveAddr, RstReason, Segment, TcpOption,
    TcpSegment, Warning,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use std::net::IpAddr;

// ---------------------------------------------------------------------------------------------
// Generated options. Values without byte strings are built directly; the others keep their
// bytes in the generated value and the option borrows them (`view`).

#[derive(Debug, Clone)]
enum Gen {
    /// Every option that borrows nothing.
    Plain(MptcpOption<'static>),
    /// MP_JOIN third ACK: the subtype nibble, byte 3 and the 20-byte HMAC.
    JoinAck {
        nibble: u8,
        byte3: u8,
        hmac: Vec<u8>,
    },
    RemoveAddr {
        reserved: u8,
        ids: Vec<u8>,
    },
    /// MP_EXPERIMENTAL (subtype 15) or an unassigned subtype.
    Opaque {
        subtype: u8,
        nibble: u8,
        body: Vec<u8>,
    },
    /// FAULT_ANNOUNCE; `fields.padding` is replaced by `padding`.
    Fault {
        fields: FaultAnnounce<'static>,
        padding: Vec<u8>,
    },
    /// MP_CAPABLE of an unknown version (lenient decoding only).
    CapableOpaque {
        version: u8,
        flags: u8,
        body: Vec<u8>,
    },
}

impl Gen {
    fn view(&self) -> MptcpOption<'_> {
        match self {
            Gen::Plain(o) => *o,
            Gen::JoinAck {
                nibble,
                byte3,
                hmac,
            } => MptcpOption::MpJoin(MpJoin {
                backup: false,
                reserved: *nibble,
                form: JoinForm::Ack {
                    reserved: *byte3,
                    hmac: hmac.as_slice().try_into().unwrap(),
                },
            }),
            Gen::RemoveAddr { reserved, ids } => MptcpOption::RemoveAddr(RemoveAddr {
                reserved: *reserved,
                address_ids: ids,
            }),
            Gen::Opaque {
                subtype,
                nibble,
                body,
            } => {
                let o = Opaque {
                    subtype: *subtype,
                    nibble: *nibble,
                    body,
                };
                if *subtype == 15 {
                    MptcpOption::MpExperimental(o)
                } else {
                    MptcpOption::Unknown(o)
                }
            }
            Gen::Fault { fields, padding } => {
                MptcpOption::FaultAnnounce(FaultAnnounce { padding, ..*fields })
            }
            Gen::CapableOpaque {
                version,
                flags,
                body,
            } => MptcpOption::MpCapable(MpCapable {
                version: *version,
                flags: CapableFlags(*flags),
                form: CapableForm::Opaque(body),
            }),
        }
    }
}

fn arb_seq() -> impl Strategy<Value = DataSeq> {
    prop_oneof![
        any::<u32>().prop_map(DataSeq::U32),
        any::<u64>().prop_map(DataSeq::U64)
    ]
}

fn arb_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from)
    ]
}

/// Bits 1 to 3 of a subtype nibble (bit 0 is a flag).
fn arb_high3() -> impl Strategy<Value = u8> {
    (0u8..8).prop_map(|r| r << 1)
}

fn arb_capable() -> impl Strategy<Value = MptcpOption<'static>> {
    let form = prop_oneof![
        Just(CapableForm::Bare),
        any::<u64>().prop_map(|key| CapableForm::SenderKey { key }),
        (any::<u64>(), any::<u64>()).prop_map(|(sender_key, receiver_key)| CapableForm::BothKeys {
            sender_key,
            receiver_key
        }),
        (
            any::<u64>(),
            any::<u64>(),
            any::<u16>(),
            any::<Option<u16>>()
        )
            .prop_map(|(sender_key, receiver_key, data_len, checksum)| {
                CapableForm::BothKeysData {
                    sender_key,
                    receiver_key,
                    data_len,
                    checksum,
                }
            }),
    ];
    (any::<bool>(), any::<u8>(), form).prop_map(|(v0, flags, form)| {
        // Version 0 has only the forms with keys and no data.
        let v0_form = matches!(
            form,
            CapableForm::SenderKey { .. } | CapableForm::BothKeys { .. }
        );
        let version = if v0 && v0_form { 0 } else { 1 };
        MptcpOption::MpCapable(MpCapable {
            version,
            flags: CapableFlags(flags),
            form,
        })
    })
}

fn arb_join_syn() -> impl Strategy<Value = Gen> {
    let form = prop_oneof![
        (any::<u8>(), any::<u32>(), any::<u32>()).prop_map(
            |(address_id, receiver_token, sender_nonce)| {
                JoinForm::Syn {
                    address_id,
                    receiver_token,
                    sender_nonce,
                }
            }
        ),
        (any::<u8>(), any::<u64>(), any::<u32>()).prop_map(
            |(address_id, truncated_hmac, sender_nonce)| {
                JoinForm::SynAck {
                    address_id,
                    truncated_hmac,
                    sender_nonce,
                }
            }
        ),
    ];
    (any::<bool>(), arb_high3(), form).prop_map(|(backup, reserved, form)| {
        Gen::Plain(MptcpOption::MpJoin(MpJoin {
            backup,
            reserved,
            form,
        }))
    })
}

fn arb_join_ack() -> impl Strategy<Value = Gen> {
    (0u8..16, any::<u8>(), vec(any::<u8>(), 20)).prop_map(|(nibble, byte3, hmac)| Gen::JoinAck {
        nibble,
        byte3,
        hmac,
    })
}

fn arb_dss() -> impl Strategy<Value = MptcpOption<'static>> {
    let mapping = (arb_seq(), any::<u32>(), any::<u16>(), any::<Option<u16>>()).prop_map(
        |(dsn, ssn, data_len, checksum)| Mapping {
            dsn,
            ssn,
            data_len,
            checksum,
        },
    );
    (
        proptest::option::of(arb_seq()),
        proptest::option::of(mapping),
        any::<bool>(),
        0u8..8,
        any::<(bool, bool)>(),
        0u8..16,
    )
        .prop_map(
            |(data_ack, mapping, data_fin, high, (stray_a, stray_m), reserved)| {
                // Only bits no field describes: the three reserved ones, and a or m without A or M.
                let mut unused_flags = high << 5;
                if data_ack.is_none() && stray_a {
                    unused_flags |= 0x02;
                }
                if mapping.is_none() && stray_m {
                    unused_flags |= 0x08;
                }
                MptcpOption::Dss(Dss {
                    data_ack,
                    mapping,
                    data_fin,
                    unused_flags,
                    reserved,
                })
            },
        )
}

fn arb_add_addr() -> impl Strategy<Value = MptcpOption<'static>> {
    let version = prop_oneof![
        Just(AddAddrVersion::V0),
        // An echo's nibble is odd: never 4 or 6.
        arb_high3().prop_map(|reserved| AddAddrVersion::V1 {
            echo: true,
            reserved
        }),
        // An announcement's nibble must not read as v0's IPVer (4 or 6).
        proptest::sample::select(vec![0u8, 2, 8, 10, 12, 14]).prop_map(|reserved| {
            AddAddrVersion::V1 {
                echo: false,
                reserved,
            }
        }),
    ];
    (
        version,
        any::<u8>(),
        arb_ip(),
        any::<Option<u16>>(),
        any::<u64>(),
    )
        .prop_map(|(version, address_id, address, port, hmac)| {
            let has_hmac = matches!(version, AddAddrVersion::V1 { echo: false, .. });
            MptcpOption::AddAddr(AddAddr {
                version,
                address_id,
                address,
                port,
                truncated_hmac: has_hmac.then_some(hmac),
            })
        })
}

fn arb_small() -> impl Strategy<Value = MptcpOption<'static>> {
    prop_oneof![
        (any::<bool>(), arb_high3(), any::<Option<u8>>()).prop_map(
            |(backup, reserved, address_id)| MptcpOption::MpPrio(MpPrio {
                backup,
                reserved,
                address_id
            })
        ),
        (0u16..0x1000, any::<u64>())
            .prop_map(|(reserved, dsn)| MptcpOption::MpFail(MpFail { reserved, dsn })),
        (0u16..0x1000, any::<u64>()).prop_map(|(reserved, receiver_key)| {
            MptcpOption::MpFastclose(MpFastclose {
                reserved,
                receiver_key,
            })
        }),
        (arb_high3(), any::<bool>(), any::<u8>()).prop_map(|(reserved, transient, reason)| {
            MptcpOption::MpTcpRst(MpTcpRst {
                reserved,
                transient,
                reason: RstReason(reason),
            })
        }),
    ]
}

fn arb_fault(subtype: u8) -> impl Strategy<Value = Gen> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        proptest::option::of(arb_ip()),
        any::<bool>(),
        any::<bool>(),
        vec(any::<u8>(), 0..=2),
    )
        .prop_map(
            move |(cause, dst_addr_id, src_addr_id, middlebox, transient, reserved, padding)| {
                Gen::Fault {
                    fields: FaultAnnounce {
                        subtype,
                        cause: FaultCause(cause),
                        dst_addr_id,
                        src_addr_id,
                        middlebox,
                        transient,
                        reserved,
                        padding: &[],
                    },
                    padding,
                }
            },
        )
}

/// Any option the strict decoder produces in a context whose FAULT_ANNOUNCE subtype is `fault`
/// (an effective one: 9 to 15, or none).
fn arb_option(fault: Option<u8>) -> BoxedStrategy<Gen> {
    let unknown: Vec<u8> = (9..=14).filter(|s| Some(*s) != fault).collect();
    let mut options: Vec<(u32, BoxedStrategy<Gen>)> = vec![
        (3, arb_capable().prop_map(Gen::Plain).boxed()),
        (2, arb_join_syn().boxed()),
        (1, arb_join_ack().boxed()),
        (4, arb_dss().prop_map(Gen::Plain).boxed()),
        (3, arb_add_addr().prop_map(Gen::Plain).boxed()),
        (
            1,
            (0u8..16, vec(any::<u8>(), 1..=37))
                .prop_map(|(reserved, ids)| Gen::RemoveAddr { reserved, ids })
                .boxed(),
        ),
        (3, arb_small().prop_map(Gen::Plain).boxed()),
        (
            1,
            (
                proptest::sample::select(unknown),
                0u8..16,
                vec(any::<u8>(), 0..=37),
            )
                .prop_map(|(subtype, nibble, body)| Gen::Opaque {
                    subtype,
                    nibble,
                    body,
                })
                .boxed(),
        ),
    ];
    if fault != Some(15) {
        options.push((
            1,
            (0u8..16, vec(any::<u8>(), 0..=37))
                .prop_map(|(nibble, body)| Gen::Opaque {
                    subtype: 15,
                    nibble,
                    body,
                })
                .boxed(),
        ));
    }
    if let Some(s) = fault {
        options.push((2, arb_fault(s).boxed()));
    }
    Union::new_weighted(options).boxed()
}

fn arb_segment() -> impl Strategy<Value = Option<Segment>> {
    proptest::option::of(
        any::<(bool, bool, bool, bool)>().prop_map(|(syn, ack, rst, payload)| Segment {
            syn,
            ack,
            rst,
            payload,
        }),
    )
}

/// Contexts with FAULT_ANNOUNCE off (None or 0), at each unassigned subtype, at the private-use
/// one, or (set in the field directly) at an assigned subtype, where it has no effect.
fn arb_ctx() -> impl Strategy<Value = Context> {
    let fault = prop_oneof![
        1 => Just(None),
        1 => Just(Some(0)),
        5 => (9u8..=15).prop_map(Some),
        1 => Just(Some(5)),
    ];
    (arb_segment(), fault).prop_map(|(segment, fault)| {
        match Context::default().with_fault_announce_subtype(fault) {
            Ok(ctx) => Context { segment, ..ctx },
            Err(_) => Context {
                segment,
                fault_announce_subtype: fault,
            },
        }
    })
}

/// The FAULT_ANNOUNCE subtype a context really decodes at.
fn effective_fault(ctx: &Context) -> Option<u8> {
    ctx.fault_announce_subtype.filter(|s| (9..=15).contains(s))
}

fn arb_case() -> impl Strategy<Value = (Context, Gen)> {
    arb_ctx().prop_flat_map(|ctx| (Just(ctx), arb_option(effective_fault(&ctx))))
}

fn arb_cases() -> impl Strategy<Value = (Context, Vec<Gen>)> {
    arb_ctx().prop_flat_map(|ctx| (Just(ctx), vec(arb_option(effective_fault(&ctx)), 1..=4)))
}

fn warnings_of(option: &MptcpOption<'_>, ctx: &Context) -> Vec<Warning> {
    option.warnings(ctx).iter().copied().collect()
}

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes.

/// An MPTCP option as found in the wild: kind 30, a length byte that is either right, small or
/// anything, and arbitrary bytes; also the empty and one-byte inputs.
fn arb_option_bytes() -> impl Strategy<Value = Vec<u8>> {
    let length = prop_oneof![
        Just(None),
        (0u8..48).prop_map(Some),
        any::<u8>().prop_map(Some)
    ];
    let main = (length, vec(any::<u8>(), 0..=45)).prop_map(|(length, rest)| {
        let mut b = vec![30, length.unwrap_or(2 + rest.len() as u8)];
        b.extend(rest);
        b
    });
    prop_oneof![1 => Just(vec![]), 1 => Just(vec![30]), 15 => main, 15 => arb_mutated_option()]
}

/// A valid option, then one change: none, a byte overwritten (the length byte often), cut short,
/// or followed by more bytes.
fn arb_mutated_option() -> impl Strategy<Value = Vec<u8>> {
    (
        arb_case(),
        0u8..5,
        any::<proptest::sample::Index>(),
        any::<u8>(),
        vec(any::<u8>(), 0..4),
    )
        .prop_map(|((_, gen), change, at, value, more)| {
            let option = gen.view();
            let mut b = vec![0u8; option.buffer_len()];
            option.emit(&mut b).unwrap();
            match change {
                0 => {}
                1 => b[1] = value % 48,
                2 => {
                    let i = at.index(b.len() - 1) + 1;
                    b[i] = value;
                }
                3 => b.truncate(at.index(b.len())),
                _ => b.extend(more),
            }
            b
        })
}

/// Bytes an options area is made of, with the interesting kinds (EOL, NOP, MPTCP) and short
/// lengths frequent.
fn arb_area_byte() -> impl Strategy<Value = u8> {
    prop_oneof![4 => any::<u8>(), 1 => Just(0u8), 2 => Just(1u8), 2 => Just(30u8), 3 => 2u8..=12]
}

fn arb_area() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..=60),
        vec(arb_area_byte(), 0..=60),
        // Valid options with garbage between and after them.
        (
            arb_cases(),
            vec(arb_area_byte(), 0..6),
            vec(arb_area_byte(), 0..6)
        )
            .prop_map(|((_, gens), mid, tail)| {
                let mut area = Vec::new();
                for (i, g) in gens.iter().enumerate() {
                    let o = g.view();
                    let start = area.len();
                    area.resize(start + o.buffer_len(), 0);
                    o.emit(&mut area[start..]).unwrap();
                    if i == 0 {
                        area.extend(&mid);
                    }
                }
                area.extend(tail);
                area
            }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// The generator of (b) must reach successful decodes of every assigned subtype, and errors.
#[test]
fn option_bytes_generator_reaches_every_subtype() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_option_bytes();
    let (mut ok, mut err) = ([0usize; 16], 0);
    for _ in 0..3000 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        match parse_mptcp_option(&bytes, &Context::default()) {
            Ok((_, o)) => ok[o.subtype() as usize] += 1,
            Err(_) => err += 1,
        }
    }
    for s in (0..=9).chain([15]) {
        assert!(ok[s] > 10, "subtype {s}: only {} successful decodes", ok[s]);
    }
    assert!(err > 300, "only {err} errors");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// (a) parse(emit(x)) == x in the context x was generated for; the option is exactly
    /// `buffer_len()` bytes, whatever follows is left alone, and the lenient decoder and the
    /// options-area walk agree.
    #[test]
    fn parse_of_emit_is_identity((ctx, gen) in arb_case(), trailing in vec(any::<u8>(), 0..4)) {
        let option = gen.view();
        let len = option.buffer_len();
        prop_assert!((3..=40).contains(&len), "{} bytes", len);
        let mut buf = vec![0xa5u8; len];
        prop_assert_eq!(option.emit(&mut buf), Ok(len));
        prop_assert_eq!(buf[0], 30);
        prop_assert_eq!(buf[1] as usize, len);
        prop_assert_eq!(buf[2] >> 4, option.subtype());

        let (rest, parsed) = parse_mptcp_option(&buf, &ctx).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert!(rest.is_empty());
        prop_assert_eq!(parsed, option);

        let (lrest, decoded) = parse_mptcp_option_lenient(&buf, &ctx);
        prop_assert!(lrest.is_empty());
        prop_assert_eq!(decoded.option, Ok(option));
        prop_assert_eq!(decoded.warnings, option.warnings(&ctx));

        // Followed by more bytes: they come back untouched.
        let mut longer = buf.clone();
        longer.extend(&trailing);
        let (rest, again) = parse_mptcp_option(&longer, &ctx).unwrap();
        prop_assert_eq!(rest, &trailing[..]);
        prop_assert_eq!(again, option);

        // As a whole options area.
        let items: Vec<_> = tcp_options(&buf, ctx).collect();
        prop_assert_eq!(items, vec![Ok(TcpOption::Mptcp(option))]);
    }

    /// (b) The decoders never panic on bytes that start like an MPTCP option, and whatever the
    /// strict decoder accepts writes back to exactly the bytes it consumed.
    #[test]
    fn emit_of_parse_reproduces_the_consumed_bytes(bytes in arb_option_bytes(), ctx in arb_ctx()) {
        let strict = parse_mptcp_option(&bytes, &ctx);
        let (lrest, decoded) = parse_mptcp_option_lenient(&bytes, &ctx);
        match strict {
            Ok((rest, option)) => {
                let len = bytes.len() - rest.len();
                prop_assert_eq!(len, bytes[1] as usize);
                prop_assert_eq!(option.buffer_len(), len);
                let mut buf = vec![0u8; len];
                prop_assert_eq!(option.emit(&mut buf), Ok(len));
                prop_assert_eq!(&buf[..], &bytes[..len]);
                // The lenient decoder agrees whenever the strict one succeeds.
                prop_assert_eq!(lrest, rest);
                prop_assert_eq!(decoded.option, Ok(option));
                prop_assert_eq!(decoded.warnings, option.warnings(&ctx));
                prop_assert!(decoded.warnings.len() <= mptcp_parse::Warnings::CAPACITY);
            }
            Err(nom::Err::Error(e)) => {
                prop_assert!(!matches!(e, Error::Nom(_)), "an error no rule names: {:?}", e);
                if let Error::Truncated { needed, .. } = e {
                    prop_assert!(needed > 0);
                }
                prop_assert!(decoded.warnings.is_empty() || decoded.option.is_ok());
                match e {
                    Error::UnsupportedVersion { .. } if bytes[1] < 4 || (bytes[1] as usize) > bytes.len() => {
                        // Leniently: no flags byte is an invalid length, a cut body is truncated.
                        prop_assert!(
                            matches!(decoded.option, Err(Error::InvalidLength { .. } | Error::Truncated { field: "option body", .. })),
                            "lenient gave {:?}", decoded.option
                        );
                    }
                    Error::UnsupportedVersion { version } => {
                        // Only the lenient decoder keeps those, as bytes, with a warning.
                        let Ok(MptcpOption::MpCapable(mpc)) = decoded.option else {
                            return Err(TestCaseError::fail(format!("lenient gave {:?}", decoded.option)));
                        };
                        prop_assert_eq!(mpc.version, version);
                        prop_assert!(matches!(mpc.form, CapableForm::Opaque(_)));
                        prop_assert_eq!(warnings_of(&MptcpOption::MpCapable(mpc), &ctx), vec![Warning::UnknownVersion { version }]);
                        let complete = bytes[1] as usize <= bytes.len();
                        if complete {
                            let len = bytes[1] as usize;
                            let mut buf = vec![0u8; mpc.buffer_len()];
                            prop_assert_eq!(mpc.emit(&mut buf), Ok(len));
                            prop_assert_eq!(&buf[..], &bytes[..len]);
                            prop_assert_eq!(lrest, &bytes[len..]);
                        }
                    }
                    e => prop_assert_eq!(decoded.option, Err(e)),
                }
            }
            Err(other) => prop_assert!(false, "not a nom::Err::Error: {:?}", other),
        }
    }

    /// (d) `emit` into a buffer too small for the option fails, says by how much, and writes
    /// nothing; into a larger one it writes only the option's bytes.
    #[test]
    fn emit_refuses_small_buffers((_, gen) in arb_case()) {
        let option = gen.view();
        let len = option.buffer_len();
        for size in 0..len {
            let mut buf = vec![0xa5u8; size];
            prop_assert_eq!(option.emit(&mut buf), Err(EmitError::BufferTooSmall { needed: len, available: size }));
            prop_assert!(buf.iter().all(|b| *b == 0xa5), "emit wrote into a buffer it refused");
        }
        let mut buf = vec![0xa5u8; len + 8];
        prop_assert_eq!(option.emit(&mut buf), Ok(len));
        prop_assert!(buf[len..].iter().all(|b| *b == 0xa5), "emit wrote past the option");
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2500))]

    /// (c) Walking any options area never panics and ends: raw options tile the area from its
    /// start, an error or EOL is the last item, and the decoded walks follow the raw one.
    #[test]
    fn options_area_walk_is_total_and_bounded(area in arb_area(), ctx in arb_ctx()) {
        let bound = area.len() + 1;
        let mut walk = raw_options(&area);
        let raw: Vec<_> = walk.by_ref().take(bound).collect();
        prop_assert!(walk.next().is_none(), "raw_options did not end");
        let mut pos = 0;
        for (i, item) in raw.iter().enumerate() {
            let last = i + 1 == raw.len();
            match item {
                Ok(o) => {
                    prop_assert!(!o.bytes.is_empty());
                    prop_assert_eq!(o.kind, o.bytes[0]);
                    prop_assert_eq!(o.bytes, &area[pos..pos + o.bytes.len()]);
                    pos += o.bytes.len();
                    if o.kind == 0 {
                        prop_assert!(last, "EOL must end the walk");
                    }
                }
                Err(_) => prop_assert!(last, "an error must end the walk"),
            }
        }

        let mut walk = tcp_options(&area, ctx);
        let decoded: Vec<_> = walk.by_ref().take(bound).collect();
        prop_assert!(walk.next().is_none(), "tcp_options did not end");
        prop_assert_eq!(decoded.len(), raw.len());
        for (d, r) in decoded.iter().zip(&raw) {
            match (d, r) {
                (Ok(TcpOption::EndOfList), Ok(r)) => prop_assert_eq!(r.kind, 0),
                (Ok(TcpOption::Nop), Ok(r)) => prop_assert_eq!(r.kind, 1),
                (Ok(TcpOption::Mptcp(o)), Ok(r)) => {
                    prop_assert_eq!(r.kind, 30);
                    prop_assert_eq!(o.buffer_len(), r.bytes.len());
                }
                (Ok(TcpOption::Other { kind, data }), Ok(r)) => {
                    prop_assert_eq!(*kind, r.kind);
                    prop_assert_eq!(*data, &r.bytes[2..]);
                }
                (Err(_), Ok(r)) => prop_assert_eq!(r.kind, 30, "only an MPTCP option may fail to decode"),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (d, r) => prop_assert!(false, "{:?} for {:?}", d, r),
            }
        }

        let lenient: Vec<_> = mptcp_options_lenient(&area, ctx).take(bound).collect();
        let expected = raw.iter().filter(|r| !matches!(r, Ok(o) if o.kind != 30)).count();
        prop_assert_eq!(lenient.len(), expected);
    }

    /// (c) The same through a whole TCP segment with an arbitrary header.
    #[test]
    fn tcp_segment_parse_never_panics(header in any::<[u8; 20]>(), rest in vec(arb_area_byte(), 0..=64)) {
        let mut bytes = header.to_vec();
        bytes.extend(&rest);
        match TcpSegment::parse(&bytes) {
            Ok(seg) => {
                prop_assert_eq!(seg.options.len() + seg.payload.len() + 20, bytes.len());
                prop_assert_eq!(seg.options.len(), (header[12] >> 4) as usize * 4 - 20);
                let n = seg.options().take(seg.options.len() + 1).count();
                prop_assert!(n <= seg.options.len());
            }
            Err(e) => prop_assert!(matches!(e, Error::Truncated { .. } | Error::InvalidLength { .. }), "{:?}", e),
        }
        prop_assert!(TcpSegment::parse(&bytes[..bytes.len().min(19)]).is_err());
    }

    /// Several generated options in one area decode in order, each to itself.
    #[test]
    fn options_in_one_area_decode_in_order((ctx, gens) in arb_cases()) {
        let options: Vec<MptcpOption<'_>> = gens.iter().map(Gen::view).collect();
        let mut area = Vec::new();
        for o in &options {
            let start = area.len();
            area.resize(start + o.buffer_len(), 0);
            o.emit(&mut area[start..]).unwrap();
            area.push(1); // NOP
        }
        area.push(0); // EOL
        area.extend([0xff, 0xff]); // padding after EOL
        let mut expected: Vec<Result<TcpOption<'_>, Error>> = Vec::new();
        for o in &options {
            expected.push(Ok(TcpOption::Mptcp(*o)));
            expected.push(Ok(TcpOption::Nop));
        }
        expected.push(Ok(TcpOption::EndOfList));
        let items: Vec<_> = tcp_options(&area, ctx).collect();
        prop_assert_eq!(items, expected);
        let lenient: Vec<_> = mptcp_options_lenient(&area, ctx).map(|d| d.option).collect();
        prop_assert_eq!(lenient, options.iter().map(|o| Ok(*o)).collect::<Vec<_>>());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// MP_CAPABLE of a version other than 0 and 1: an error for the strict decoder, the same
    /// value back for the lenient one.
    #[test]
    fn unknown_mp_capable_version_round_trips_leniently(
        version in 2u8..16,
        flags in any::<u8>(),
        body in vec(any::<u8>(), 0..=36),
        ctx in arb_ctx(),
    ) {
        let gen = Gen::CapableOpaque { version, flags, body };
        let option = gen.view();
        let len = option.buffer_len();
        let mut buf = vec![0u8; len];
        prop_assert_eq!(option.emit(&mut buf), Ok(len));
        prop_assert_eq!(parse_mptcp_option(&buf, &ctx), Err(nom::Err::Error(Error::UnsupportedVersion { version })));
        let (rest, decoded) = parse_mptcp_option_lenient(&buf, &ctx);
        prop_assert!(rest.is_empty());
        prop_assert_eq!(decoded.option, Ok(option));
        prop_assert_eq!(warnings_of(&option, &ctx), vec![Warning::UnknownVersion { version }]);
    }

    /// An option whose bytes are all there (the input is at least as long as its length byte
    /// says) is never reported as truncated: a wrong length byte is an invalid length.
    #[test]
    fn complete_options_are_never_truncated(bytes in arb_option_bytes(), ctx in arb_ctx()) {
        if bytes.len() >= 3 && bytes[1] as usize <= bytes.len() {
            let strict = parse_mptcp_option(&bytes, &ctx);
            prop_assert!(!matches!(strict, Err(nom::Err::Error(Error::Truncated { .. }))), "{:02x?}: {:?}", bytes, strict);
        }
    }
}

/// `emit` writes the length it returns into the length byte, for bodies of any size: a value
/// that no length byte can describe must not come out as a different, valid-looking option.
#[test]
fn emit_never_writes_a_length_byte_that_disagrees_with_its_length() {
    let body = [0u8; 253];
    for option in [
        MptcpOption::MpExperimental(Opaque {
            subtype: 15,
            nibble: 0,
            body: &body,
        }),
        MptcpOption::RemoveAddr(RemoveAddr {
            reserved: 0,
            address_ids: &body,
        }),
    ] {
        let mut buf = [0u8; 300];
        if let Ok(n) = option.emit(&mut buf) {
            assert_eq!(
                buf[1] as usize, n,
                "{} bytes written under length byte {}",
                n, buf[1]
            );
        }
    }
}
