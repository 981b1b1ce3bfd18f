//! Runs the connection analysis (`mptcp_parse::analysis`) on every TCP segment and shows its
//! findings: an "MPTCP extended analysis" tree with generated fields, frame links and expert
//! items. This module only translates; every conclusion is the engine's.
//!
//! ## Which hook, and why
//! An option dissector (kind 30) sees only segments that carry an MPTCP option, but findings
//! need the others too (a SYN/ACK without MP_CAPABLE, data without DSS, a plain RST answering
//! a fastclose). A tap sees every segment but cannot add to the tree. A TCP heuristic
//! dissector sees only segments with payload. A postdissector that asks for the `tcp` item sees
//! them all, but asking makes Wireshark build a protocol tree for every frame, even where it
//! would build none (the first pass of `tshark -2` without a filter). So the shim puts its
//! own handle in `ip.proto` in TCP's place: it calls the TCP dissector, then hands the segment
//! (TCP's own tvb, from the header on, without link-layer padding) to [`on_segment`], whether
//! or not a tree is being built. Its tcp.stream comes from a table of recent address and port
//! pairs (`streams.rs`), or from TCP's conversation data (on a miss, a SYN, or in a frame seen
//! again, only where its report is shown). A segment without MPTCP options, SYN or RST on a
//! stream of plain TCP so far ([`Engine::is_plain_tcp`]) tells the engine nothing, and is not
//! handed to it.
//!
//! The segment's MPTCP options are found in its header as TCP walks them
//! (`dissect::mptcp_option_offsets`). Each is decoded once,
//! shown (`dissect::show_in_segment`) or, where nothing looks at its items, only decoded
//! (`dissect::decode_in_segment`), and handed to the engine decoded
//! (`Engine::process_decoded_outcome`, which says whether the frame has findings: they are
//! gathered only to be shown); TCP has called Wireshark's own MPTCP dissector for each of
//! them on the way, as without the plugin.
//!
//! ## State
//! One engine per capture file: created by Wireshark's init routine (file opened, or
//! preferences changed and the packets dissected again), dropped by its cleanup routine (file
//! closed). The first pass feeds frames in order; a frame seen again (the second pass of
//! `tshark -2`, a click in the GUI) is not fed again: its stored findings are shown, completed
//! once with what only the end of the capture tells (`Engine::finish`), and its connection is
//! found from its tcp.stream. The engine keeps nothing per frame but findings.

use std::borrow::Cow;
use std::ffi::c_int;
use std::ops::RangeInclusive;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, MutexGuard};

use arrayvec::ArrayVec;
use mptcp_parse::analysis::{Config, Engine, Finding, FrameOutcome, FrameReport, Packet};
use mptcp_parse::{MptcpOption, TcpFlags};

use crate::fields::{Ett, Hf, PROTO};
use crate::findings::show_finding;
use crate::streams::{End, Streams};
use crate::tree::{report_error, report_panic, TreeView};
use crate::{dissect, ffi};

/// The most MPTCP options of a segment: 40 bytes of options, at least 2 each.
const MAX_OPTIONS: usize = 20;

/// What the plugin keeps of the open capture file.
struct FileState {
    /// The analysis engine.
    engine: Option<Engine>,
    /// The tcp.stream of the address pairs met lately.
    streams: Streams,
}

static STATE: Mutex<FileState> = Mutex::new(FileState {
    engine: None,
    streams: Streams::new(),
});

/// The open file's state.
fn file_state() -> MutexGuard<'static, FileState> {
    // A poisoned lock only means an earlier panic was caught: the state is still usable.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

impl FileState {
    /// The engine, made on first use if Wireshark's init routine has not made one.
    fn engine(&mut self) -> &mut Engine {
        self.engine.get_or_insert_with(|| Engine::new(config()))
    }
}

fn config() -> Config {
    // SAFETY: read preference values owned by the shim.
    let (subtype, verify) = unsafe {
        (
            ffi::mptcpx_shim_pref_fault_announce_subtype(),
            ffi::mptcpx_shim_pref_verify_crypto(),
        )
    };
    Config {
        fault_announce_subtype: u8::try_from(subtype).ok().filter(|s| *s != 0),
        verify_crypto: verify != 0,
    }
}

/// Capture file opened (or packets about to be dissected again): a fresh engine.
pub(crate) extern "C" fn on_init() {
    let _ = catch_unwind(|| {
        *file_state() = FileState {
            engine: Some(Engine::new(config())),
            streams: Streams::new(),
        };
    });
}

/// Capture file closed: its state goes.
pub(crate) extern "C" fn on_cleanup() {
    let _ = catch_unwind(|| {
        *file_state() = FileState {
            engine: None,
            streams: Streams::new(),
        };
    });
}

/// Called by the shim after the TCP dissector, for every TCP segment: shows its MPTCP options,
/// then analyses it.
///
/// # Safety
/// Called by the shim with pointers Wireshark gave it and `segment` filled as shim.h says: its
/// `bytes` point at `captured` bytes and its addresses at theirs, valid during the call.
pub(crate) unsafe extern "C" fn on_segment(
    tvb: *mut ffi::tvbuff_t,
    segment: *const ffi::mptcpx_segment,
    pinfo: *mut ffi::packet_info,
    tree: *mut ffi::proto_tree,
) {
    // SAFETY: the shim's promise above.
    let Some(segment) = (unsafe { segment.as_ref() }) else {
        return;
    };
    let bytes = match usize::try_from(segment.captured) {
        // SAFETY: the shim's promise above.
        Ok(len) if !segment.bytes.is_null() => unsafe {
            std::slice::from_raw_parts(segment.bytes, len)
        },
        _ => &[],
    };
    // SAFETY: pointers from Wireshark, valid during this call.
    let view = unsafe { TreeView::with_flags(tvb, pinfo, tree, segment.tree_flags) };
    let offsets = dissect::mptcp_option_offsets::<MAX_OPTIONS>(bytes);
    // Each option decoded once: for its subtree, then for the analysis.
    let mut options: ArrayVec<MptcpOption<'_>, MAX_OPTIONS> = ArrayVec::new();
    if !offsets.is_empty() {
        let seg = dissect::segment_of(bytes, usize::try_from(segment.reported).unwrap_or(0));
        let (offsets, pref) = (&offsets[..], segment.fault_announce_subtype);
        if !view.wants_protocol() {
            // Nothing looks at the items (tshark -Y mptcp, -q): the common case, tested first.
            dissect::decode_in_segment::<false, MAX_OPTIONS>(
                &view,
                bytes,
                offsets,
                seg,
                pref,
                &mut options,
            );
        } else if view.places_items() {
            dissect::show_all_in_segment(&view, bytes, offsets, seg, pref, &mut options);
        } else {
            // Named by a filter, a column or an output, in a tree not shown (tshark -Y mptcpx).
            dissect::decode_in_segment_named(&view, bytes, offsets, seg, pref, &mut options);
        }
    }
    if segment.analyse == 0 {
        return;
    }
    let done = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the shim's promise above.
        unsafe { analyse(&view, segment, bytes, !offsets.is_empty(), &options) }
    }));
    if let Err(panic) = done {
        report_panic(
            &mut view.clone_view(),
            false,
            Ett::Analysis,
            "MPTCPX analysis internal error",
            panic,
        );
    }
}

/// Called by the shim after [`on_segment`] when one of its item adders caught an exception of
/// Wireshark's (the tree's limit of items, say): the items it was adding are missing, and
/// `mptcpx.plugin_error` says which and why.
///
/// # Safety
/// Called by the shim with pointers Wireshark gave it for the segment, and `message` a
/// NUL-terminated string valid during the call.
pub(crate) unsafe extern "C" fn on_caught(
    tvb: *mut ffi::tvbuff_t,
    pinfo: *mut ffi::packet_info,
    tree: *mut ffi::proto_tree,
    tree_flags: c_int,
    message: *const std::ffi::c_char,
) {
    let _ = catch_unwind(|| {
        if message.is_null() {
            return;
        }
        // SAFETY: the shim's promise above.
        let message = unsafe { std::ffi::CStr::from_ptr(message) }.to_string_lossy();
        // SAFETY: pointers from Wireshark, valid during this call.
        let mut view = unsafe { TreeView::with_flags(tvb, pinfo, tree, tree_flags) };
        report_error(
            &mut view,
            false,
            Ett::Analysis,
            "items left out",
            &format!("MPTCPX items left out, {message}"),
        );
    });
}

/// Hands the segment to the engine (`tcp`, its bytes; `has_mptcp`: whether it has MPTCP
/// options, `options` those that decoded) and shows the frame's findings; in a frame seen
/// before, only shows them.
///
/// # Safety
/// `segment` as [`on_segment`]'s.
unsafe fn analyse(
    view: &TreeView,
    segment: &ffi::mptcpx_segment,
    tcp: &[u8],
    has_mptcp: bool,
    options: &[MptcpOption<'_>],
) {
    if segment.visited != 0 {
        show_seen_frame(view, segment.frame);
        return;
    }
    // SAFETY: the shim's promise (on_segment): the addresses are Wireshark's, valid now.
    let ends = (segment.ptype == ffi::PT_TCP).then(|| unsafe {
        Some((
            End::of(segment.src, segment.src_port)?,
            End::of(segment.dst, segment.dst_port)?,
        ))
    });
    let Some((src, dst)) = ends.flatten().filter(|(src, dst)| src.same_family(dst)) else {
        // Not TCP over IP.
        return;
    };
    let flags = TcpFlags(tcp.get(13).copied().unwrap_or(0));
    let frame = segment.frame;
    let mut state = file_state();
    let stream = state
        .streams
        .stream(&src, &dst, flags.contains(TcpFlags::SYN), || {
            // SAFETY: `pinfo` is Wireshark's, for the segment being dissected.
            u32::try_from(unsafe { ffi::mptcpx_shim_stream_of_conversation(view.pinfo()) }).ok()
        });
    let engine = state.engine();
    if !has_mptcp
        && !flags.intersects(TcpFlags::SYN.union(TcpFlags::RST))
        && stream.is_some_and(|s| engine.is_plain_tcp(s))
    {
        // Plain TCP so far: nothing to tell the engine.
        return;
    }
    let packet = Packet {
        frame,
        time: segment.time_ns,
        src: src.ip(),
        dst: dst.ip(),
        stream,
        tcp,
    };
    let outcome = engine.process_decoded_outcome(&packet, options);
    show(view, frame, outcome, || engine.findings(frame));
}

/// A frame seen before (the second pass, a click in the GUI): its stored findings, and its
/// connection where it would be shown.
fn show_seen_frame(view: &TreeView, frame: u32) {
    let mut state = file_state();
    let engine = state.engine();
    engine.finish();
    let outcome = engine.frame_outcome(frame);
    // Its connection is looked up only where it would be shown.
    let in_connection = FrameOutcome {
        connection: Some(0),
        ..outcome
    };
    let connection = if worth_showing(view, in_connection) {
        // SAFETY: `pinfo` is Wireshark's, for the segment being dissected.
        let stream = unsafe { ffi::mptcpx_shim_stream_of_conversation(view.pinfo()) };
        u32::try_from(stream)
            .ok()
            .and_then(|s| engine.connection_of_stream(s))
    } else {
        None
    };
    show(
        view,
        frame,
        FrameOutcome {
            connection,
            ..outcome
        },
        || engine.findings(frame),
    );
}

/// Adds the analysis tree of one frame where [`worth_showing`] says so, and gathers its
/// findings only then.
fn show<'e>(
    view: &TreeView,
    frame: u32,
    outcome: FrameOutcome,
    findings: impl FnOnce() -> Cow<'e, [Finding]>,
) {
    // Test builds only: a panic after the engine took the frame in, with its lock held.
    #[cfg(feature = "fault-injection")]
    crate::inject::maybe_panic("analysis", frame);
    if worth_showing(view, outcome) {
        add_report(
            view,
            frame,
            &FrameReport {
                connection: outcome.connection,
                findings: findings(),
            },
        );
    }
}

/// The fields of checks that passed ([`show_finding`]).
const PASSED_CHECK_FIELDS: [RangeInclusive<Hf>; 5] = [
    Hf::DssChecksumValid..=Hf::DssChecksumValid,
    Hf::DssMappingFrame..=Hf::DssCompletedIn,
    Hf::JoinHmacValid..=Hf::JoinHmacValid,
    Hf::AddAddrHmacValid..=Hf::AddAddrHmacValid,
    Hf::FastcloseKeyValid..=Hf::FastcloseKeyValid,
];

/// Whether a frame's analysis item is worth adding. Findings other than checks that passed
/// have expert items, seen wherever Wireshark looks. Checks that passed and the connection are
/// fields only: worth adding where someone looks at them (a tree shown, or a filter, column or
/// output naming one of them). The protocol item costs Wireshark as much as a small
/// dissector, and `mptcpx` is already on every frame with an MPTCP option.
fn worth_showing(view: &TreeView, outcome: FrameOutcome) -> bool {
    // A field named marks its protocol too: where the protocol is not (tshark -Y mptcp), the
    // fields' own marks, on lines of their own, are not read.
    outcome.findings
        || (view.wants_protocol()
            && ((outcome.passed_checks && view.wants_any(&PASSED_CHECK_FIELDS))
                || (outcome.connection.is_some() && view.wants(Hf::Connection))))
}

/// The analysis item and its subtree.
fn add_report(view: &TreeView, frame: u32, report: &FrameReport<'_>) {
    let mut tree = view.clone_view();
    let top = tree
        .add_protocol_at(PROTO.load(Relaxed), Ett::Analysis)
        .generated();
    tree.append_text(top, format_args!(": {}", Summary(report)));
    if let Some(c) = report.connection {
        tree.uint(Hf::Connection, 0, 0, c).generated();
    }
    for finding in report.findings.iter() {
        show_finding(&tree, top, frame, finding);
    }
}

/// "connection 3, 2 findings, 1 check passed": the text of the analysis item. A check that
/// passed is counted apart: it is no finding (no expert item, nothing in the Info column).
struct Summary<'r, 'e>(&'r FrameReport<'e>);

impl std::fmt::Display for Summary<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.connection {
            Some(c) => write!(f, "connection {c}")?,
            None => f.write_str("no connection")?,
        }
        let passed = self
            .0
            .findings
            .iter()
            .filter(|finding| finding.is_passed_check())
            .count();
        match self.0.findings.len() - passed {
            0 => {}
            1 => f.write_str(", 1 finding")?,
            n => write!(f, ", {n} findings")?,
        }
        match passed {
            0 => Ok(()),
            1 => f.write_str(", 1 check passed"),
            n => write!(f, ", {n} checks passed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mptcp_parse::analysis::AddAddrVerdict;

    fn summary(connection: Option<u32>, findings: &[Finding]) -> String {
        Summary(&FrameReport {
            connection,
            findings: Cow::Borrowed(findings),
        })
        .to_string()
    }

    #[test]
    fn summary_counts_passed_checks_apart_from_findings() {
        let passed = Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Valid,
        };
        let failed = Finding::AddAddrHmac {
            verdict: AddAddrVerdict::Invalid,
        };
        assert_eq!(summary(Some(3), &[]), "connection 3");
        assert_eq!(
            summary(None, std::slice::from_ref(&failed)),
            "no connection, 1 finding"
        );
        assert_eq!(
            summary(Some(0), std::slice::from_ref(&passed)),
            "connection 0, 1 check passed"
        );
        assert_eq!(
            summary(
                Some(1),
                &[failed, passed.clone(), Finding::OptionsMissing, passed]
            ),
            "connection 1, 2 findings, 2 checks passed"
        );
    }
}
