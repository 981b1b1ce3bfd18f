//! Displays one MPTCP option: the decoding comes from `mptcp-parse`; this module only
//! translates its values, warnings and errors into tree items, expert items and Info column
//! notes, with the byte ranges the wire format puts them at. The fields of each option
//! family's values are in `values`.

use std::ops::RangeInclusive;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::Ordering::Relaxed;

use arrayvec::ArrayVec;
use mptcp_parse::{
    parse_mptcp_option_lenient, raw_options, subtype, CapableForm, Context, Decoded, Error,
    MpCapable, MptcpOption, Segment, Warning, MPTCP_KIND,
};

use crate::ffi;
use crate::fields::{option_fields, sync_subtype_names, Ei, Ett, Hf, PROTO};
use crate::tree::{off, report_panic, Item, TreeView};

/// Where the segment's MPTCP options (kind 30) start in its captured `bytes`, the first `N`,
/// found as TCP walks its options (`raw_options`): an end-of-list stops, and so do a bad
/// length, a kind or length byte the capture cut off, or an option that runs past the header
/// (TCP throws there, or calls no option dissector). An option cut short by the capture is
/// still given: TCP hands it to its dissector all the same.
pub(crate) fn mptcp_option_offsets<const N: usize>(bytes: &[u8]) -> ArrayVec<u8, N> {
    let mut offsets = ArrayVec::new();
    let header = bytes.get(12).map_or(0, |&b| usize::from(b >> 4) * 4);
    let Some(area) = bytes.get(20..header.min(bytes.len())) else {
        return offsets;
    };
    let mut at = 20;
    for option in raw_options(area) {
        let Ok(option) = option else { break };
        if option.kind == MPTCP_KIND {
            let on_wire = option.bytes.get(1).map_or(0, |&len| usize::from(len));
            let Ok(offset) = u8::try_from(at) else { break };
            if at + on_wire > header || offsets.try_push(offset).is_err() {
                break;
            }
        }
        at += option.bytes.len();
    }
    offsets
}

/// The segment's TCP flags and payload length, from its captured header and its length on the
/// wire (`reported`); `None` when the header was cut before the flags.
pub(crate) fn segment_of(bytes: &[u8], reported: usize) -> Option<Segment> {
    let flags = *bytes.get(13)?;
    let header = usize::from(bytes[12] >> 4) * 4;
    Some(Segment::from_tcp_flags(
        flags,
        reported.saturating_sub(header),
    ))
}

/// Decodes the MPTCP option at `offset` of the segment's captured `bytes` (its length byte
/// captured, the rest maybe not) and shows it under `view`'s tree: in a tree that keeps its
/// items, right after the item of Wireshark's own dissector for it, where TCP put that one.
/// Returns the option when it decoded, also when showing it failed.
pub(crate) fn show_in_segment<'b>(
    view: &TreeView,
    bytes: &'b [u8],
    offset: usize,
    seg: Option<Segment>,
    pref: u32,
) -> Option<MptcpOption<'b>> {
    let (option, on_wire) = option_at(bytes, offset);
    let mut after = ptr::null_mut();
    let parent = if view.places_items() {
        // SAFETY: the view's tree and tvb are Wireshark's for the segment being dissected.
        unsafe { ffi::mptcpx_shim_option_parent(view.tree(), view.tvb(), off(offset), &mut after) }
    } else {
        view.tree()
    };
    show_option(
        view.part(offset, option.len(), parent),
        option,
        on_wire,
        seg,
        pref,
        after,
    )
}

/// [`show_in_segment`] for each option of the segment at `offsets`, the options that decoded
/// pushed into `options`: where the tree is shown, or keeps its protocol items.
pub(crate) fn show_all_in_segment<'b, const N: usize>(
    view: &TreeView,
    bytes: &'b [u8],
    offsets: &[u8],
    seg: Option<Segment>,
    pref: u32,
    options: &mut ArrayVec<MptcpOption<'b>, N>,
) {
    for &offset in offsets {
        if let Some(option) = show_in_segment(view, bytes, usize::from(offset), seg, pref) {
            // Outside any catch_unwind: try_push, which cannot panic.
            let _ = options.try_push(option);
        }
    }
}

/// What [`show_in_segment`] does where no option item needs its place or its text
/// ([`TreeView::places_items`] false), for each option of the segment at `offsets`: the option
/// decoded, into `options`, and where the protocol is named (`tshark -Y mptcpx`) its `mptcpx`
/// item alone; where it is not (`tshark -Y mptcp`, `-q`), nothing else. One with an expert item
/// or an Info note to give, one with a field named (`-Y mptcpx.dss.dsn`, `-e ...`), or one whose
/// decoding panicked, takes [`show_in_segment`]'s path instead. This runs for most options of a
/// capture: the context is made once for the segment, and no subtype names are synchronised,
/// since nothing is displayed. `NAMED`: whether the protocol is named
/// ([`TreeView::wants_protocol`]), a constant so that the common case, not named, has a copy
/// without that branch.
pub(crate) fn decode_in_segment<'b, const NAMED: bool, const N: usize>(
    view: &TreeView,
    bytes: &'b [u8],
    offsets: &[u8],
    seg: Option<Segment>,
    pref: u32,
    options: &mut ArrayVec<MptcpOption<'b>, N>,
) {
    let ctx = context(seg, pref);
    for &offset in offsets {
        let offset = usize::from(offset);
        let (raw, _) = option_at(bytes, offset);
        let quiet = catch_unwind(|| {
            let decoded = parse_mptcp_option_lenient(raw, &ctx).1;
            match decoded.option {
                Ok(option) if quiet_kind_fields(&decoded).is_some() => Some(option),
                _ => None,
            }
        });
        let option = match quiet {
            Ok(Some(option)) if !NAMED => Some(option),
            Ok(Some(option))
                if !quiet_kind(&option)
                    .is_some_and(|fields| view.wants_any(&[option_fields::EVERY, fields])) =>
            {
                // Only the protocol is named: its item, over the option, without fields.
                view.part(offset, raw.len(), view.tree())
                    .add_protocol(PROTO.load(Relaxed), Ett::Option);
                Some(option)
            }
            _ => show_instead(view, bytes, offset, seg, pref),
        };
        if let Some(option) = option {
            // Outside any catch_unwind: try_push, which cannot panic.
            let _ = options.try_push(option);
        }
    }
}

/// [`decode_in_segment`] where the protocol is named.
pub(crate) fn decode_in_segment_named<'b, const N: usize>(
    view: &TreeView,
    bytes: &'b [u8],
    offsets: &[u8],
    seg: Option<Segment>,
    pref: u32,
    options: &mut ArrayVec<MptcpOption<'b>, N>,
) {
    decode_in_segment::<true, N>(view, bytes, offsets, seg, pref, options);
}

/// [`show_in_segment`] for an option that [`decode_in_segment`] leaves to it.
fn show_instead<'b>(
    view: &TreeView,
    bytes: &'b [u8],
    offset: usize,
    seg: Option<Segment>,
    pref: u32,
) -> Option<MptcpOption<'b>> {
    show_in_segment(view, bytes, offset, seg, pref)
}

/// The captured bytes of the option at `offset`, and its length on the wire.
fn option_at(bytes: &[u8], offset: usize) -> (&[u8], usize) {
    let on_wire = bytes.get(offset + 1).map_or(0, |&len| usize::from(len));
    (
        bytes
            .get(offset..)
            .map_or(&[][..], |rest| &rest[..rest.len().min(on_wire)]),
        on_wire,
    )
}

/// Decodes one option (`on_wire` bytes long, `bytes` of them captured) and shows it at `view`,
/// right after `after` when that is not null; returns the option when it decoded, also when
/// showing it failed. A panic is reported at the option's place in the tree, whatever was
/// added since.
fn show_option<'b>(
    mut view: TreeView,
    bytes: &'b [u8],
    on_wire: usize,
    seg: Option<Segment>,
    pref: u32,
    after: *mut ffi::proto_item,
) -> Option<MptcpOption<'b>> {
    let mut report = view.clone_view();
    let (decoded, shown) = match catch_unwind(|| decode(bytes, seg, pref)) {
        Ok((decoded, fault_subtype)) => {
            let shown = catch_unwind(AssertUnwindSafe(|| {
                show_decoding(&mut view, bytes, on_wire, &decoded, fault_subtype)
            }));
            (decoded.option.ok(), shown)
        }
        Err(panic) => (None, Err(panic)),
    };
    match shown {
        Ok(Some(top)) if !after.is_null() => report.move_after(after, top),
        Ok(_) => {}
        Err(panic) => report_panic(
            &mut report,
            true,
            Ett::Option,
            "MPTCPX internal error",
            panic,
        ),
    }
    decoded
}

/// Decodes one option with `pref`, the FAULT_ANNOUNCE preference of the moment; also returns
/// the subtype it was decoded with.
fn decode(bytes: &[u8], seg: Option<Segment>, pref: u32) -> (Decoded<'_>, Option<u8>) {
    sync_subtype_names(pref);
    let ctx = context(seg, pref);
    (
        parse_mptcp_option_lenient(bytes, &ctx).1,
        ctx.fault_announce_subtype,
    )
}

/// The decoding context of an option on `seg`, with `pref`, the FAULT_ANNOUNCE preference.
fn context(seg: Option<Segment>, pref: u32) -> Context {
    Context {
        segment: seg,
        fault_announce_subtype: u8::try_from(pref).ok().filter(|s| *s != 0),
    }
}

/// Shows what someone looks at of a decoded option; returns its item, if added.
fn show_decoding(
    view: &mut TreeView,
    bytes: &[u8],
    on_wire: usize,
    decoded: &Decoded<'_>,
    fault_subtype: Option<u8>,
) -> Option<Item> {
    if let Some(fields) = quiet_option_fields(decoded) {
        if !view.wants_protocol() {
            // Every item would be faked (tshark -Y mptcp).
            return None;
        }
        // With the protocol named (tshark -Y mptcpx) its mark does not tell whether one of its
        // fields is named too: the option's own are asked.
        if !view.wants_any(&fields) {
            // Only the protocol item is looked at: its fields would be faked.
            return Some(view.add_protocol(PROTO.load(Relaxed), Ett::Option));
        }
    }
    Some(add_option(view, bytes, on_wire, decoded, fault_subtype))
}

/// The option's `mptcpx` item, subtree, expert items and Info notes.
fn add_option(
    view: &mut TreeView,
    bytes: &[u8],
    on_wire: usize,
    decoded: &Decoded<'_>,
    fault_subtype: Option<u8>,
) -> Item {
    let top = view.add_protocol(PROTO.load(Relaxed), Ett::Option);
    // Test builds only: a panic with the option's subtree half built.
    #[cfg(feature = "fault-injection")]
    crate::inject::maybe_panic("option display", view.frame());
    if let Some(&length) = bytes.get(1) {
        view.uint(Hf::Length, 1, 1, u32::from(length));
    }
    match &decoded.option {
        Ok(option) => {
            view.append_text(top, format_args!(": {}", option.name()));
            view.uint(Hf::Subtype, 2, 1, u32::from(option.subtype()));
            crate::values::show_decoded(view, top, option);
            if let Some(valid) = length_valid(decoded) {
                view.boolean(Hf::LengthValid, 1, 1, valid).generated();
            }
        }
        Err(err) => {
            match err {
                // Not malformed: the capture kept only the start of the packet.
                Error::Truncated { field, .. } if on_wire > bytes.len() => {
                    show_not_captured(view, top, bytes, on_wire, field)
                }
                _ => show_error(view, top, bytes, decoded, err, fault_subtype),
            }
        }
    }
    for warning in &decoded.warnings {
        show_warning(view, top, warning);
    }
    top
}

/// When the option, well formed, gives no expert item and no Info column note (then only a tree
/// that someone looks at needs it): the fields its subtree shows, those of every option and
/// those of its kind (shown by [`add_option`]).
fn quiet_option_fields(decoded: &Decoded<'_>) -> Option<[RangeInclusive<Hf>; 2]> {
    Some([option_fields::EVERY, quiet_kind_fields(decoded)?])
}

/// When the option, well formed, gives no expert item and no Info column note: the fields of
/// its kind.
fn quiet_kind_fields(decoded: &Decoded<'_>) -> Option<RangeInclusive<Hf>> {
    if !decoded.warnings.is_empty() {
        return None;
    }
    quiet_kind(decoded.option.as_ref().ok()?)
}

/// The fields of the option's kind, when a well-formed option of that kind gives no expert
/// item and no Info column note.
fn quiet_kind(option: &MptcpOption<'_>) -> Option<RangeInclusive<Hf>> {
    Some(match option {
        MptcpOption::Dss(_) => option_fields::DSS,
        MptcpOption::MpCapable(_) => option_fields::CAPABLE,
        MptcpOption::MpJoin(_) => option_fields::JOIN,
        MptcpOption::AddAddr(_) => option_fields::ADD_ADDR,
        MptcpOption::RemoveAddr(_) | MptcpOption::MpPrio(_) => option_fields::REMOVE_ADDR_PRIO,
        _ => return None,
    })
}

/// Whether the length fits the subtype and flags; `None` when that cannot be judged.
fn length_valid(decoded: &Decoded<'_>) -> Option<bool> {
    match &decoded.option {
        Ok(MptcpOption::MpCapable(MpCapable {
            form: CapableForm::Opaque(_),
            ..
        })) => None,
        Ok(_) => Some(true),
        Err(Error::InvalidLength { .. }) => Some(false),
        Err(_) => None,
    }
}

/// An option cut by the capture's snapshot length: what was captured, and what is missing.
fn show_not_captured(view: &TreeView, top: Item, bytes: &[u8], on_wire: usize, field: &str) {
    let name = match bytes.get(2) {
        Some(&byte2) => {
            view.uint(Hf::Subtype, 2, 1, u32::from(byte2 >> 4));
            subtype::name(byte2 >> 4).unwrap_or("MPTCP option")
        }
        None => "MPTCP option",
    };
    view.append_text(top, format_args!(": {name} (cut by the snapshot length)"));
    if bytes.len() > 3 {
        view.bytes(Hf::OpaqueData, 3, &bytes[3..]);
    }
    let msg = format!(
        "{name} cut by the capture's snapshot length: {} of {on_wire} bytes captured, field \"{field}\" onwards not captured",
        bytes.len()
    );
    view.expert(top, Ei::NotCaptured, Some(&msg));
}

fn show_error(
    view: &TreeView,
    top: Item,
    bytes: &[u8],
    decoded: &Decoded<'_>,
    err: &Error,
    fault_subtype: Option<u8>,
) {
    // A malformed option has no decoded value to take the subtype from; the subtype byte is
    // still shown when it was captured.
    match bytes.get(2) {
        Some(&byte2) => {
            let st = byte2 >> 4;
            view.uint(Hf::Subtype, 2, 1, u32::from(st));
            let name = match subtype::name(st) {
                _ if fault_subtype == Some(st) => "FAULT_ANNOUNCE",
                Some(name) => name,
                None => "unknown",
            };
            view.append_text(top, format_args!(": {name} (malformed)"));
        }
        None => view.append_text(top, format_args!(": malformed")),
    }
    if let Some(valid) = length_valid(decoded) {
        view.boolean(Hf::LengthValid, 1, 1, valid).generated();
    }
    if bytes.len() > 3 {
        view.bytes(Hf::OpaqueData, 3, &bytes[3..]);
    }
    view.expert(
        top,
        Ei::Malformed,
        Some(&format!(
            "Malformed MPTCP option, field \"{}\": {err}",
            err.field()
        )),
    );
}

fn show_warning(view: &TreeView, top: Item, warning: &Warning) {
    let ei = match warning {
        Warning::ReservedBits { .. } => Ei::ReservedSet,
        Warning::UnknownVersion { .. } => Ei::CapableUnknownVersion,
        Warning::UnassignedRstReason { .. } => Ei::RstUnassignedReason,
        Warning::TcpRstWithoutRst => Ei::RstWithoutRstFlag,
        Warning::NonZeroPadding => Ei::FaultPaddingNonzero,
        Warning::UnexpectedSegment { .. } => Ei::UnexpectedSegment,
        // A warning newer than this match: a note, worded by the warning itself.
        _ => Ei::UnexpectedSegment,
    };
    view.expert(top, ei, Some(&capitalize(&warning.to_string())));
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
