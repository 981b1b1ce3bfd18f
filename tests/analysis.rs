//! The connection analysis through real tshark: exact frames of each finding, in one pass and
//! in two passes (`-2`, where forward links and end-of-capture findings appear), over the
//! repository's captures (`tests/captures/`) and the shared ones (`kernel/...`, `crafted/...`,
//! `public/...` in `../shared/captures`) when they are present.

mod common;

use common::{env, frame_numbers, frames_in, pdml_attr, shared, shared_for};
use std::path::PathBuf;

/// A capture by name, readable by tshark: names with a folder are in `../shared/captures`
/// (callers check that it is there with [`shared_for`] or [`names`]), others in
/// `tests/captures`.
fn capture(name: &str) -> PathBuf {
    if name.contains('/') {
        env().readable(&shared().join("captures").join(name))
    } else {
        env().readable(&common::own_capture(name))
    }
}

/// `own`, then `shared` when `../shared/captures` is present (one line says so when not).
fn names<'a>(test: &str, own: &[&'a str], shared: &[&'a str]) -> Vec<&'a str> {
    let mut all = own.to_vec();
    if shared_for(test).is_some() {
        all.extend_from_slice(shared);
    }
    all
}

/// Frames matching `filter`, in one pass or two.
fn frames(name: &str, two_pass: bool, filter: &str) -> Vec<u32> {
    frames_with(name, two_pass, filter, &[])
}

fn frames_with(name: &str, two_pass: bool, filter: &str, extra: &[&str]) -> Vec<u32> {
    frames_in(&capture(name), two_pass, filter, extra)
}

/// Frames matching `filter` in tshark's summary lines, in one pass or two: no tree is shown,
/// and only the filter looks at the plugin's items (`-T fields` shows the tree to find its
/// fields).
fn summary_frames(name: &str, two_pass: bool, filter: &str) -> Vec<u32> {
    let path = capture(name);
    let mut args = vec![
        "-r",
        path.to_str().unwrap(),
        "-Y",
        filter,
        "-o",
        "gui.column.format:\"No.\",\"%m\"",
    ];
    if two_pass {
        args.push("-2");
    }
    let out = env().tshark(&args).ok();
    frame_numbers(name, &out)
}

/// One field's values on one frame (two passes).
fn field(name: &str, frame: u32, field: &str) -> Vec<String> {
    let path = capture(name);
    let filter = format!("frame.number == {frame}");
    let out = env()
        .tshark(&[
            "-r",
            path.to_str().unwrap(),
            "-2",
            "-Y",
            &filter,
            "-T",
            "fields",
            "-e",
            field,
        ])
        .ok();
    out.trim()
        .split(',')
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

// The option-A fastclose seen from each end: the repository's captures and the shared ones
// have the same frames.
const B_SIDES: [&str; 2] = [
    "fastclose_option_a_Bside.pcap",
    "crafted/c01_fastclose_ack_rst_lost_Bside.pcap",
];
const A_SIDES: [&str; 2] = [
    "fastclose_option_a_Aside.pcap",
    "crafted/c01_fastclose_ack_rst_lost_Aside.pcap",
];

#[test]
fn option_a_fastclose_between_the_firewalls() {
    for b_side in names(
        "option_a_fastclose_between_the_firewalls",
        &B_SIDES[..1],
        &B_SIDES[1..],
    ) {
        for two_pass in [false, true] {
            assert_eq!(frames(b_side, two_pass, "mptcpx.fastclose.initiated"), [16]);
            assert_eq!(
                frames(b_side, two_pass, "mptcpx.fastclose.retransmitted"),
                [19, 21, 23, 25]
            );
            assert_eq!(
                frames(b_side, two_pass, "mptcpx.fastclose.after_peer_rst"),
                [19, 21, 23, 25]
            );
            assert_eq!(frames(b_side, two_pass, "mptcpx.fastclose.final_rst"), [27]);
            assert_eq!(
                frames(b_side, two_pass, "mptcpx.fastclose.unanswered"),
                [] as [u32; 0]
            );
        }
        // The answer is a forward link: only once the whole capture was read.
        assert_eq!(
            frames(b_side, false, "mptcpx.fastclose.answered_in"),
            [] as [u32; 0]
        );
        assert_eq!(
            frames(b_side, true, "mptcpx.fastclose.answered_in == 18"),
            [16]
        );
        assert_eq!(field(b_side, 21, "mptcpx.fastclose.retransmission"), ["2"]);
        assert_eq!(field(b_side, 21, "mptcpx.fastclose.first"), ["16"]);
        assert_eq!(field(b_side, 21, "mptcpx.fastclose.peer_rst"), ["20"]);
    }
}

#[test]
fn option_a_fastclose_at_the_initiator() {
    for a_side in names(
        "option_a_fastclose_at_the_initiator",
        &A_SIDES[..1],
        &A_SIDES[1..],
    ) {
        for two_pass in [false, true] {
            assert_eq!(frames(a_side, two_pass, "mptcpx.fastclose.initiated"), [16]);
            assert_eq!(
                frames(a_side, two_pass, "mptcpx.fastclose.retransmitted"),
                [18, 19, 20, 21]
            );
            assert_eq!(
                frames(a_side, two_pass, "mptcpx.fastclose.after_peer_rst"),
                [] as [u32; 0]
            );
            assert_eq!(frames(a_side, two_pass, "mptcpx.fastclose.final_rst"), [22]);
            assert_eq!(
                frames(a_side, two_pass, "mptcpx.fastclose.key_valid == 1").len(),
                6
            );
        }
    }
}

#[test]
fn option_r_fastclose_from_linux() {
    // Three subflows reset at once (33, 34, 35), the last frames of the capture.
    let name = "fastclose_linger0.pcap";
    assert_eq!(frames(name, true, "mptcpx.rst.reason_given"), [33, 34, 35]);
    assert_eq!(
        frames(name, true, "mptcpx.fastclose.key_valid == 1"),
        [33, 34, 35]
    );
    assert_eq!(
        frames(
            name,
            true,
            "mptcpx.fastclose.subflow_not_reset || mptcpx.fastclose.key_mismatch"
        ),
        [] as [u32; 0]
    );
    assert_eq!(frames(name, true, "mptcpx.connection == 0").len(), 35);
    if shared_for("option_r_fastclose_from_linux").is_none() {
        return;
    }
    let name = "kernel/06_v4_fastclose_client_linger0.pcap";
    assert_eq!(frames(name, true, "mptcpx.rst.reason_given"), [45, 46, 47]);
    assert_eq!(
        frames(name, true, "mptcpx.fastclose.key_valid == 1"),
        [45, 46, 47]
    );
    assert_eq!(
        frames(
            name,
            true,
            "mptcpx.fastclose.subflow_not_reset || mptcpx.fastclose.key_mismatch"
        ),
        [] as [u32; 0]
    );
    assert_eq!(frames(name, true, "mptcpx.connection == 0").len(), 47);
}

#[test]
fn fault_announce_resolved_to_its_stream() {
    // The same frames in both captures; the faulty subflow's addresses differ.
    let mut cases = vec![("fault_announce.pcap", "10.0.4.1", "10.0.2.1")];
    if shared_for("fault_announce_resolved_to_its_stream").is_some() {
        cases.push((
            "crafted/c03_fault_announce_subtype9.pcap",
            "10.0.2.1",
            "10.0.3.1",
        ));
    }
    for (name, src, dst) in cases {
        for two_pass in [false, true] {
            assert_eq!(
                frames(name, two_pass, "mptcpx.fault.announced"),
                [12, 13, 14, 15, 16, 17]
            );
            assert_eq!(
                frames(name, two_pass, "mptcpx.fault.stream == 1"),
                [12, 13, 14, 15, 16, 17]
            );
            assert_eq!(
                frames(name, two_pass, "mptcpx.fault.unresolved"),
                [] as [u32; 0]
            );
        }
        assert_eq!(field(name, 12, "mptcpx.fault.src"), [src]);
        assert_eq!(field(name, 12, "mptcpx.fault.dst"), [dst]);
        // Its RST comes later: a forward link.
        assert_eq!(field(name, 12, "mptcpx.fault.rst_frame"), ["20"]);
        // Decoding off: no fault analysis.
        assert_eq!(
            frames_with(
                name,
                true,
                "mptcpx.fault.announced",
                &["-o", "mptcpx.fault_announce_subtype:0"]
            ),
            [] as [u32; 0]
        );
    }
}

#[test]
fn middlebox_findings_on_the_frames_where_they_happen() {
    let own = |name: &str, filter: &str| frames(&format!("{name}.pcap"), true, filter);
    assert_eq!(
        own("fallback_syn_stripped", "mptcpx.fallback.capable_stripped"),
        [2]
    );
    assert_eq!(
        own(
            "fallback_syn_stripped_srvside",
            "mptcpx.fallback.capable_stripped"
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        own(
            "fallback_synack_stripped",
            "mptcpx.fallback.capable_stripped"
        ),
        [2]
    );
    assert_eq!(
        own(
            "fallback_synack_stripped_srvside",
            "mptcpx.fallback.capable_stripped"
        ),
        [3]
    );
    assert_eq!(
        own(
            "fallback_synack_stripped_srvside",
            "mptcpx.fallback.offered_in == 1"
        ),
        [3]
    );
    assert_eq!(
        own("capable_data_stripped", "mptcpx.fallback.options_missing"),
        [6]
    );
    assert_eq!(
        own(
            "capable_data_stripped_srvside",
            "mptcpx.fallback.options_missing"
        ),
        [4]
    );
    assert_eq!(
        own("midstream_dss_stripped", "mptcpx.fallback.options_missing"),
        [15]
    );
    assert_eq!(
        own(
            "midstream_dss_stripped_srvside",
            "mptcpx.fallback.options_missing"
        ),
        [14]
    );
    if shared_for("middlebox_findings_on_the_frames_where_they_happen").is_none() {
        return;
    }
    let at = |name: &str, filter: &str| frames(&format!("kernel/{name}.pcap"), true, filter);
    assert_eq!(
        at(
            "12_v4_fallback_syn_optstrip",
            "mptcpx.fallback.capable_stripped"
        ),
        [2]
    );
    assert_eq!(
        at(
            "13_v4_fallback_synack_optstrip",
            "mptcpx.fallback.capable_stripped"
        ),
        [2]
    );
    assert_eq!(
        at(
            "13_v4_fallback_synack_optstrip_srvside",
            "mptcpx.fallback.capable_stripped"
        ),
        [3]
    );
    assert_eq!(
        at(
            "13_v4_fallback_synack_optstrip_srvside",
            "mptcpx.fallback.offered_in == 1"
        ),
        [3]
    );
    assert_eq!(
        at(
            "14_v4_midstream_optstrip",
            "mptcpx.fallback.options_missing"
        ),
        [6]
    );
    assert_eq!(
        at(
            "14_v4_midstream_optstrip_srvside",
            "mptcpx.fallback.options_missing"
        ),
        [4]
    );
    assert_eq!(
        at(
            "23_v4_midstream_optstrip_one_segment",
            "mptcpx.fallback.options_missing"
        ),
        [24]
    );
    assert_eq!(
        at(
            "23_v4_midstream_optstrip_one_segment_srvside",
            "mptcpx.fallback.options_missing"
        ),
        [23]
    );
}

#[test]
fn altered_payload_seen_from_both_sides() {
    // The router changed a byte of the client's segment 14; MP_FAILs 15 (server) and 16.
    let srv = "mp_fail_srvside.pcap";
    let cli = "mp_fail.pcap";
    assert_eq!(frames(srv, false, "mptcpx.dss.checksum_bad"), [14]);
    assert_eq!(frames(srv, true, "mptcpx.dss.followed_by == 15"), [14]);
    assert_eq!(frames(srv, false, "mptcpx.fail.reported"), [15, 16]);
    assert_eq!(frames(srv, false, "mptcpx.fail.mapping_frame == 14"), [15]);
    assert_eq!(
        frames(cli, false, "mptcpx.dss.checksum_bad"),
        [] as [u32; 0]
    );
    assert_eq!(frames(cli, false, "mptcpx.fail.reported"), [15, 16]);
    if shared_for("altered_payload_seen_from_both_sides").is_none() {
        return;
    }
    let srv = "kernel/10_v4_mp_fail_single_subflow_srvside.pcap";
    let cli = "kernel/10_v4_mp_fail_single_subflow.pcap";
    assert_eq!(frames(srv, false, "mptcpx.dss.checksum_bad"), [20]);
    assert_eq!(frames(srv, true, "mptcpx.dss.followed_by == 21"), [20]);
    assert_eq!(frames(srv, false, "mptcpx.fail.reported"), [21, 22]);
    assert_eq!(frames(srv, false, "mptcpx.fail.mapping_frame == 20"), [21]);
    assert_eq!(
        frames(cli, false, "mptcpx.dss.checksum_bad"),
        [] as [u32; 0]
    );
    assert_eq!(frames(cli, false, "mptcpx.fail.reported"), [21, 22]);
}

/// The join HMACs that verified in the captures `names`.
fn join_hmacs_verified(names: &[&str]) -> usize {
    names
        .iter()
        .map(|name| frames(name, false, "mptcpx.join.hmac_valid == 1").len())
        .sum()
}

/// The DSS checksums of `name`, a capture where every segment of over 1000 bytes is the first
/// of the two a mapping spans: in one pass `completed` verdicts, on the segments that complete
/// the mappings; in two passes also one on each of the `first` first segments, linked to the
/// segment that completed it. A check that passed is a field only, added where someone looks
/// at it: a filter that names it, with a tree shown or not, or a tree shown without a filter.
fn assert_checksums_verified(name: &str, completed: usize, first: usize) {
    let valid = "mptcpx.dss.checksum_valid == 1";
    let verified = frames(name, false, valid);
    assert_eq!(verified.len(), completed, "{name}");
    let first_segments = frames(name, false, "tcp.len > 1000");
    assert_eq!(first_segments.len(), first, "{name}");
    let mut everywhere = [&verified[..], &first_segments[..]].concat();
    everywhere.sort_unstable();
    assert_eq!(frames(name, true, valid), everywhere, "{name}");
    assert_eq!(
        frames(name, true, "mptcpx.dss.completed_in"),
        first_segments,
        "{name}"
    );
    for two_pass in [false, true] {
        let expected = if two_pass { &everywhere } else { &verified };
        assert_eq!(
            &summary_frames(name, two_pass, valid),
            expected,
            "{name}, two passes: {two_pass}"
        );
    }
    let shown: Vec<u32> = (1..)
        .zip(plugin_items(&capture(name), false))
        .filter(|(_, items)| {
            items
                .analysis
                .iter()
                .any(|i| i == "mptcpx.dss.checksum_valid: Checksum valid: True")
        })
        .map(|(frame, _)| frame)
        .collect();
    assert_eq!(shown, verified, "{name}");
}

/// The frames of `name` whose ADD_ADDR HMAC verified, in one pass and two, with the tree shown
/// (`-T fields`) or only the summary lines.
fn assert_add_addr_hmacs_verified(name: &str, expected: &[u32]) {
    let valid = "mptcpx.add_addr.hmac_valid == 1";
    for two_pass in [false, true] {
        assert_eq!(
            summary_frames(name, two_pass, valid),
            expected,
            "{name}, two passes: {two_pass}"
        );
    }
    assert_eq!(frames(name, false, valid), expected, "{name}");
}

#[test]
fn every_hmac_and_checksum_of_healthy_traffic_verifies() {
    // 14 joins, two HMACs each (crypto_captures.rs counts them on the same captures).
    let joins = join_hmacs_verified(&[
        "join_addaddr_datafin.pcap",
        "addaddr_port.pcap",
        "remove_addr.pcap",
        "mp_prio_backup.pcap",
        "fastclose_linger0.pcap",
        "fastclose_statefulfw.pcap",
        "fastclose_statefulfw_srvside.pcap",
        "join_rejected_limits.pcap",
        "dss_checksum.pcap",
        "server_initiated_join.pcap",
        "v6_endpoint_del.pcap",
    ]);
    assert_eq!(joins, 28);
    // 21 mappings verified, and 16 of them on the segment before too (37 in all, as
    // crypto_captures.rs counts).
    assert_checksums_verified("dss_checksum.pcap", 21, 16);
    assert_add_addr_hmacs_verified("addaddr_port.pcap", &[4]);
    if shared_for("every_hmac_and_checksum_of_healthy_traffic_verifies").is_none() {
        return;
    }
    let joins = join_hmacs_verified(&[
        "kernel/01_v4_join_addaddr_datafin.pcap",
        "kernel/02_v4_addaddr_port.pcap",
        "kernel/04_v4_remove_addr.pcap",
        "kernel/05_v4_mp_prio_backup.pcap",
        "kernel/06_v4_fastclose_client_linger0.pcap",
        "kernel/08_v4_join_rejected_limits.pcap",
        "kernel/09_v4_dss_checksum.pcap",
        "kernel/17_v4_fastclose_statefulfw_rst_lost.pcap",
        "kernel/17_v4_fastclose_statefulfw_rst_lost_srvside.pcap",
        "kernel/19_v4_server_initiated_join.pcap",
        "kernel/20_v4_bulk_fullmesh.pcap",
        "kernel/22_v6_endpoint_del_midtransfer.pcap",
    ]);
    assert_eq!(joins, 42);
    assert_checksums_verified("kernel/09_v4_dss_checksum.pcap", 45, 40);
    assert_add_addr_hmacs_verified("kernel/02_v4_addaddr_port.pcap", &[4, 10]);
    assert_eq!(
        frames(
            "public/mptcp-aa-v1.pcap",
            false,
            "mptcpx.add_addr.hmac_legacy"
        ),
        [13]
    );
}

#[test]
fn clean_captures_raise_no_alarm() {
    let alarms = "mptcpx.join.hmac_bad || mptcpx.add_addr.hmac_bad || mptcpx.fastclose.key_mismatch \
                  || mptcpx.dss.checksum_bad || mptcpx.dss.checksum_presence || mptcpx.fallback.capable_stripped \
                  || mptcpx.fallback.syn_dropped || mptcpx.fallback.options_missing || mptcpx.join.unknown_token \
                  || mptcpx.fastclose.unanswered || mptcpx.fastclose.subflow_not_reset || mptcpx.plugin_error";
    let own = [
        "join_addaddr_datafin.pcap",
        "addaddr_port.pcap",
        "remove_addr.pcap",
        "mp_prio_backup.pcap",
        "fastclose_linger0.pcap",
        "fastclose_statefulfw.pcap",
        "join_rejected_limits.pcap",
        "dss_checksum.pcap",
        "server_initiated_join.pcap",
        "tfo_mp_capable.pcap",
        "v6_endpoint_del.pcap",
        "v0_connection.pcap",
    ];
    for name in names(
        "clean_captures_raise_no_alarm",
        &own,
        &[
            "kernel/01_v4_join_addaddr_datafin.pcap",
            "kernel/02_v4_addaddr_port.pcap",
            "kernel/04_v4_remove_addr.pcap",
            "kernel/05_v4_mp_prio_backup.pcap",
            "kernel/06_v4_fastclose_client_linger0.pcap",
            "kernel/08_v4_join_rejected_limits.pcap",
            "kernel/09_v4_dss_checksum.pcap",
            "kernel/17_v4_fastclose_statefulfw_rst_lost.pcap",
            "kernel/19_v4_server_initiated_join.pcap",
            "kernel/20_v4_bulk_fullmesh.pcap",
            "kernel/21_v4_tfo_mp_capable.pcap",
            "kernel/22_v6_endpoint_del_midtransfer.pcap",
            "public/mptcp-v0.pcap",
            "public/mptcp-v1.pcap",
            "public/mptcp-fclose.pcap",
            "public/mptcp-aa-echo.pcap",
            "public/mptcp-tcprst.pcap",
        ],
    ) {
        assert_eq!(frames(name, true, alarms), [] as [u32; 0], "{name}");
    }
}

#[test]
fn v0_fastclose_answered_and_remove_addr_streams() {
    assert_eq!(
        frames(
            "v0_connection.pcap",
            true,
            "mptcpx.fastclose.answered_in == 18"
        ),
        [16]
    );
    assert_eq!(
        field("remove_addr.pcap", 42, "mptcpx.remove_addr.stream"),
        ["1"]
    );
    assert_eq!(
        field("remove_addr.pcap", 81, "mptcpx.remove_addr.stream"),
        ["2"]
    );
    if shared_for("v0_fastclose_answered_and_remove_addr_streams").is_none() {
        return;
    }
    let name = "public/mptcp-fclose.pcap";
    assert_eq!(
        frames(name, true, "mptcpx.fastclose.answered_in == 11"),
        [10]
    );
    assert_eq!(
        field(
            "kernel/04_v4_remove_addr.pcap",
            149,
            "mptcpx.remove_addr.stream"
        ),
        ["1", "3"]
    );
}

/// Frames matching `filter` in one of the repository's own captures (tests/captures/).
fn own_frames(name: &str, two_pass: bool, filter: &str) -> Vec<u32> {
    frames_in(&own(name), two_pass, filter, &[])
}

#[test]
fn generated_captures_through_tshark() {
    for two_pass in [false, true] {
        assert_eq!(
            own_frames(
                "syn_drop_fallback.pcap",
                two_pass,
                "mptcpx.fallback.syn_dropped"
            ),
            [4]
        );
        assert_eq!(
            own_frames(
                "syn_drop_fallback.pcap",
                two_pass,
                "mptcpx.fallback.capable_stripped"
            ),
            [] as [u32; 0]
        );
        assert_eq!(
            own_frames(
                "add_addr_echo_lost.pcap",
                two_pass,
                "mptcpx.add_addr.not_echoed"
            ),
            [12, 13, 14]
        );
        assert_eq!(
            own_frames(
                "add_addr_echo_lost_cliside.pcap",
                two_pass,
                "mptcpx.add_addr.not_echoed"
            ),
            [13, 15, 17]
        );
        assert_eq!(
            own_frames(
                "join_unknown_token.pcap",
                two_pass,
                "mptcpx.join.unknown_token"
            ),
            [11]
        );
        assert_eq!(
            own_frames("join_closed_port.pcap", two_pass, "mptcpx.join.refused"),
            [7]
        );
        assert_eq!(
            own_frames(
                "forged_fastclose_key.pcap",
                two_pass,
                "mptcpx.fastclose.key_mismatch"
            ),
            [13]
        );
        assert_eq!(
            own_frames(
                "forged_fastclose_key.pcap",
                two_pass,
                "mptcpx.fastclose.unanswered"
            ),
            [] as [u32; 0]
        );
        assert_eq!(
            own_frames(
                "v0_connection.pcap",
                two_pass,
                "mptcpx.join.hmac_valid == 1"
            ),
            [8, 9]
        );
    }
    // Only the end of the capture says that nothing answered.
    assert_eq!(
        own_frames(
            "fastclose_unanswered.pcap",
            false,
            "mptcpx.fastclose.unanswered"
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        own_frames(
            "fastclose_unanswered.pcap",
            true,
            "mptcpx.fastclose.unanswered"
        ),
        [10]
    );
    assert_eq!(
        own_frames(
            "v0_connection.pcap",
            true,
            "mptcpx.fastclose.answered_in == 18"
        ),
        [16]
    );
}

#[test]
fn join_rejected_by_the_server_gives_its_reason() {
    assert_eq!(
        frames("join_rejected_limits.pcap", true, "mptcpx.rst.reason_given"),
        [11, 12]
    );
    assert_eq!(
        frames("join_rejected_limits.pcap", true, "mptcpx.rst.reason == 3"),
        [11]
    );
    if shared_for("join_rejected_by_the_server_gives_its_reason").is_none() {
        return;
    }
    assert_eq!(
        frames(
            "kernel/08_v4_join_rejected_limits.pcap",
            true,
            "mptcpx.rst.reason_given"
        ),
        [9, 10]
    );
    assert_eq!(
        frames(
            "kernel/08_v4_join_rejected_limits.pcap",
            true,
            "mptcpx.rst.reason == 3"
        ),
        [9]
    );
}

/// Every frame's connection, as `frame<TAB>connection` lines.
fn connections(name: &str, two_pass: bool) -> String {
    let path = capture(name);
    let mut args = vec![
        "-r",
        path.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "mptcpx.connection",
    ];
    if two_pass {
        args.push("-2");
    }
    env().tshark(&args).ok()
}

#[test]
fn frames_seen_again_keep_their_connection() {
    // The engine keeps nothing per frame but findings: in the second pass a frame finds its
    // connection through its tcp.stream. Captures with joins (several subflows), announced
    // addresses, a fallback, IPv6.
    let own = [
        "join_addaddr_datafin.pcap",
        "join_rejected_limits.pcap",
        "fallback_synack_stripped.pcap",
        "server_initiated_join.pcap",
        "dss_checksum.pcap",
        "v6_endpoint_del.pcap",
    ];
    for name in names(
        "frames_seen_again_keep_their_connection",
        &own,
        &[
            "kernel/01_v4_join_addaddr_datafin.pcap",
            "kernel/08_v4_join_rejected_limits.pcap",
            "kernel/13_v4_fallback_synack_optstrip.pcap",
            "kernel/19_v4_server_initiated_join.pcap",
            "kernel/20_v4_bulk_fullmesh.pcap",
            "kernel/22_v6_endpoint_del_midtransfer.pcap",
        ],
    ) {
        let one = connections(name, false);
        let two = connections(name, true);
        assert!(
            one.lines()
                .filter(|l| l.split('\t').nth(1).is_some_and(|c| !c.is_empty()))
                .count()
                > 10,
            "{name}: {one}"
        );
        assert_eq!(one, two, "{name}");
    }
}

#[test]
fn analysis_can_be_turned_off() {
    for name in names("analysis_can_be_turned_off", &B_SIDES[..1], &B_SIDES[1..]) {
        let off = ["-o", "mptcpx.analyze:FALSE"];
        // Off: no analysis item, no finding; the options are decoded as before.
        assert_eq!(
            frames_with(
                name,
                false,
                "mptcpx.connection || mptcpx.fastclose.initiated",
                &off
            ),
            [] as [u32; 0]
        );
        assert_eq!(
            frames_with(
                name,
                true,
                "mptcpx.connection || mptcpx.fastclose.retransmitted",
                &off
            ),
            [] as [u32; 0]
        );
        assert_eq!(
            frames_with(name, false, "mptcpx.subtype", &off),
            frames(name, false, "mptcpx.subtype")
        );
        assert_eq!(
            frames_with(
                name,
                false,
                "mptcpx.fastclose.initiated",
                &["-o", "mptcpx.analyze:TRUE"]
            ),
            [16]
        );
    }
}

/// The displayed TCP trees (`-V`) of a capture, one string per TCP layer: where each item
/// sits, the options' subtrees among TCP's other options included.
fn displayed_tcp_trees(path: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["-r", path.to_str().unwrap(), "-V"];
    args.extend_from_slice(extra);
    let out = env().tshark(&args).ok();
    let mut trees: Vec<String> = Vec::new();
    let mut in_tcp = false;
    for line in out.lines() {
        if !line.starts_with(' ') {
            in_tcp = line.starts_with("Transmission Control Protocol");
            if in_tcp {
                trees.push(String::new());
            }
        }
        if in_tcp {
            let tree = trees.last_mut().expect("a TCP tree");
            tree.push_str(line);
            tree.push('\n');
        }
    }
    trees
}

/// With the analysis off the options are only decoded and shown. Their subtrees, expert items
/// and places among TCP's other options included, must not tell the two apart, on any frame of
/// any capture.
#[test]
fn options_show_the_same_with_the_analysis_off() {
    let off = ["-o", "mptcpx.analyze:FALSE"];
    let mut compared = 0;
    let all = common::all_captures("options_show_the_same_with_the_analysis_off");
    for capture in &all {
        let file = env().readable(capture);
        let (items_on, items_off) = (
            plugin_items_with(&file, false, &[]),
            plugin_items_with(&file, false, &off),
        );
        assert_eq!(items_on.len(), items_off.len(), "{}", capture.display());
        for (i, (a, b)) in items_on.iter().zip(&items_off).enumerate() {
            assert_eq!(
                a.options,
                b.options,
                "{} frame {}: analysis on vs off",
                capture.display(),
                i + 1
            );
            assert!(
                b.analysis.is_empty(),
                "{} frame {}: analysis items with the analysis off",
                capture.display(),
                i + 1
            );
            compared += a.options.len();
        }
        let (trees_on, trees_off) = (
            displayed_tcp_trees(&file, &[]),
            displayed_tcp_trees(&file, &off),
        );
        assert_eq!(trees_on.len(), trees_off.len(), "{}", capture.display());
        for (a, b) in trees_on.iter().zip(&trees_off) {
            assert_eq!(
                a,
                b,
                "{}: displayed TCP tree, analysis on vs off",
                capture.display()
            );
        }
    }
    assert!(compared > 10_000, "only {compared} option items compared");
}

/// Each option's `mptcpx` subtree sits right after the item of Wireshark's own MPTCP dissector
/// for that option, among TCP's options, in every displayed TCP tree of every capture
/// (malformed options and options after them included): the plugin finds that item once TCP is
/// done.
#[test]
fn each_option_subtree_follows_the_builtin_item_of_its_option() {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut checked = 0;
    let all = common::all_captures("each_option_subtree_follows_the_builtin_item_of_its_option");
    for capture in &all {
        let file = env().readable(capture);
        for tree in displayed_tcp_trees(&file, &[]) {
            let lines: Vec<&str> = tree.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !line
                    .trim_start()
                    .starts_with("Multipath Transmission Control Protocol")
                {
                    continue;
                }
                // The next item beside the built-in's, past its subtree.
                let next = lines[i + 1..].iter().find(|l| indent(l) <= indent(line));
                assert!(
                    next.is_some_and(|n| indent(n) == indent(line)
                        && n.trim_start().starts_with("MPTCP extended analysis: ")),
                    "{}: after {line:?} comes {next:?} in:\n{tree}",
                    capture.display()
                );
                checked += 1;
            }
        }
    }
    // 1146 options in the repository's captures, more than 3000 in the shared ones.
    let least = if all.len() > common::own_captures().len() {
        4_000
    } else {
        1_000
    };
    assert!(checked > least, "only {checked} options checked");
}

// ---- How the analysis gets its segments: its handle in "ip.proto" in TCP's place ----------
// The captures are made by tests/captures/gen_encap.py: one connection over plain Ethernet, with
// Ethernet padding, inside IPv4-in-IPv4, and with ICMP errors quoting segments interleaved.

/// A capture of tests/captures, readable by tshark.
fn own(name: &str) -> PathBuf {
    env().readable(&common::repo().join("tests/captures").join(name))
}

/// The plugin's items in one frame, each as "name: showname" (offsets left out: they move when
/// a header is added in front).
#[derive(Debug, Default, PartialEq)]
struct PluginItems {
    /// The "MPTCP extended analysis" tree the analysis adds at the frame's top level: the
    /// connection, findings and their expert items.
    analysis: Vec<String>,
    /// The mptcpx items elsewhere: the options decoded in TCP's tree.
    options: Vec<String>,
}

/// Every frame's plugin items, from `tshark -T pdml` (in two passes if `two_pass`).
fn plugin_items(path: &std::path::Path, two_pass: bool) -> Vec<PluginItems> {
    plugin_items_with(path, two_pass, &[])
}

fn plugin_items_with(path: &std::path::Path, two_pass: bool, extra: &[&str]) -> Vec<PluginItems> {
    let mut args = vec!["-r", path.to_str().unwrap(), "-T", "pdml"];
    if two_pass {
        args.push("-2");
    }
    args.extend_from_slice(extra);
    let out = env().tshark(&args).ok();
    let mut frames: Vec<PluginItems> = Vec::new();
    // Depth of the element being read inside the packet, and the depth at which the analysis
    // tree was opened while inside it.
    let mut depth = 0usize;
    let mut analysis_at: Option<usize> = None;
    for line in out.lines().map(str::trim) {
        if line == "<packet>" {
            frames.push(PluginItems::default());
            depth = 0;
            analysis_at = None;
            continue;
        }
        if line.starts_with("</proto>") || line.starts_with("</field>") {
            depth -= 1;
            if analysis_at == Some(depth) {
                analysis_at = None;
            }
            continue;
        }
        if !(line.starts_with("<proto ") || line.starts_with("<field ")) {
            continue;
        }
        let frame = frames.last_mut().expect("an item outside a packet");
        let name = pdml_attr(line, "name").unwrap_or("");
        if depth == 0 && name == "mptcpx" {
            analysis_at = Some(depth);
        }
        let item = format!("{name}: {}", pdml_attr(line, "showname").unwrap_or(""));
        if analysis_at.is_some() {
            frame.analysis.push(item);
        } else if name.starts_with("mptcpx") {
            frame.options.push(item);
        }
        if !line.ends_with("/>") {
            depth += 1;
        }
    }
    frames
}

/// Asserts that two captures give the same plugin items frame by frame, in one pass and in
/// two; `options` too or only the analysis trees.
fn assert_same_items(name: &str, reference: &str, options: bool) {
    for two_pass in [false, true] {
        let got = plugin_items(&own(name), two_pass);
        let want = plugin_items(&own(reference), two_pass);
        assert_eq!(got.len(), want.len(), "{name} vs {reference}: frame count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g.analysis,
                w.analysis,
                "{name} frame {} (two passes: {two_pass}): analysis vs {reference}",
                i + 1
            );
            if options {
                assert_eq!(
                    g.options,
                    w.options,
                    "{name} frame {} (two passes: {two_pass}): options vs {reference}",
                    i + 1
                );
            }
        }
    }
}

/// Frames matching `filter` in a capture of tests/captures, in two passes.
fn own_matching(name: &str, filter: &str) -> Vec<u32> {
    own_frames(name, true, filter)
}

#[test]
fn ethernet_padding_is_not_payload() {
    // The short frames carry a nonzero trailer up to 60 bytes: the SYN (58 bytes), the pure
    // ACKs (54), the 2-byte middle segment of a checksummed mapping (56) and the RST (54).
    assert_eq!(
        own_matching("encap_padded.pcap", "eth.trailer"),
        [1, 5, 7, 9, 12]
    );
    assert_eq!(
        own_matching("encap_plain.pcap", "eth.trailer || eth.padding"),
        [] as [u32; 0]
    );
    // What the padding taken as payload would break: both DSS checksums verify (the 1502-byte
    // mapping covers the 2-byte segment), no data outside a mapping. Frame 6 carries that
    // mapping's DSS: it shows the verdict that 8 gave.
    assert_eq!(
        own_matching("encap_plain.pcap", "mptcpx.dss.checksum_valid == 1"),
        [4, 6, 8]
    );
    assert_eq!(
        own_matching("encap_padded.pcap", "mptcpx.dss.checksum_valid == 1"),
        [4, 6, 8]
    );
    assert_eq!(
        own_matching(
            "encap_padded.pcap",
            "mptcpx.dss.checksum_bad || mptcpx.fallback.options_missing || mptcpx.plugin_error"
        ),
        [] as [u32; 0]
    );
    assert_eq!(
        own_matching("encap_padded.pcap", "mptcpx.connection == 0"),
        (1..=12).collect::<Vec<u32>>()
    );
    assert_eq!(
        own_matching("encap_padded.pcap", "mptcpx.fastclose.answered_in == 12"),
        [11]
    );
    // Everything the plugin shows is what it shows without the padding.
    assert_same_items("encap_padded.pcap", "encap_plain.pcap", true);
}

#[test]
fn icmp_errors_quoting_segments_are_not_segments() {
    // icmp_quoted: ICMP errors quoting an MP_CAPABLE SYN (4) and an MP_JOIN SYN with an unknown
    // token (6) of connections that do not exist, the real subflow's ACK + MP_FASTCLOSE (11),
    // 8 bytes of a SYN (12), the real subflow's RST (16). icmp6_quoted: ICMPv6 errors quoting
    // an MP_CAPABLE SYN of another connection (4), the ACK + MP_FASTCLOSE (10), the RST (14).
    // The *_echo twins have echo requests with the same bytes in their places.
    for (name, echo, errors, with_options, fastclose, rst) in [
        (
            "icmp_quoted.pcap",
            "icmp_quoted_echo.pcap",
            &[4, 6, 11, 12, 16][..],
            &[4, 6, 11][..],
            15,
            17,
        ),
        (
            "icmp6_quoted.pcap",
            "icmp6_quoted_echo.pcap",
            &[4, 10, 14][..],
            &[4, 10][..],
            13,
            15,
        ),
    ] {
        // The quotes are dissected as TCP, their MPTCP options decoded: the segments went
        // through TCP's place in ip.proto.
        assert_eq!(
            own_matching(name, "(icmp || icmpv6) && tcp"),
            errors,
            "{name}"
        );
        assert_eq!(
            own_matching(name, "(icmp || icmpv6) && mptcpx.subtype"),
            with_options,
            "{name}"
        );
        assert_eq!(
            own_matching(echo, "tcp && (icmp || icmpv6)"),
            [] as [u32; 0],
            "{echo}"
        );
        for two_pass in [false, true] {
            let items = plugin_items(&own(name), two_pass);
            for &frame in errors {
                assert_eq!(
                    items[frame as usize - 1].analysis,
                    [] as [String; 0],
                    "{name}: frame {frame} (two passes: {two_pass})"
                );
            }
        }
        assert_eq!(
            own_matching(
                name,
                "mptcpx.join.unknown_token || mptcpx.fallback.syn_dropped || mptcpx.plugin_error"
            ),
            [] as [u32; 0],
            "{name}"
        );
        // The connection's own fastclose, answered by its own RST, not by the quoted one.
        assert_eq!(
            own_matching(name, "mptcpx.fastclose.initiated"),
            [fastclose],
            "{name}"
        );
        assert_eq!(
            own_matching(name, &format!("mptcpx.fastclose.answered_in == {rst}")),
            [fastclose],
            "{name}"
        );
        // Every frame's analysis as without the quotes.
        assert_same_items(name, echo, false);
    }
}

#[test]
fn ip_in_ip_segments_are_analysed_once() {
    // The same IPv4 packets as encap_plain.pcap inside IPv4 (protocol 4): one TCP segment a frame.
    assert_eq!(
        own_matching("encap_ipip.pcap", "ip.proto == 4"),
        (1..=12).collect::<Vec<u32>>()
    );
    assert_eq!(
        own_matching("encap_ipip.pcap", "mptcpx.connection == 0"),
        (1..=12).collect::<Vec<u32>>()
    );
    assert_eq!(
        own_matching("encap_ipip.pcap", "mptcpx.dss.checksum_valid == 1"),
        [4, 6, 8]
    );
    assert_same_items("encap_ipip.pcap", "encap_plain.pcap", true);
}

#[test]
fn segments_without_options_follow_their_stream_when_ports_are_reused() {
    // port_reuse.pcap: one address and port pair used by a plain TCP connection (1-9),
    // encap_plain's MPTCP connection (10-21) and another plain one (22-30), each from a SYN of
    // a new sequence number: TCP gives them streams 0, 1, 2. The MPTCP connection's segments
    // without options (pure ACKs 14 and 18, data 16 and 17, the RST 21) are found by their
    // pair; the pair's stream changes at each SYN.
    let mptcp: Vec<u32> = (10..=21).collect();
    assert_eq!(
        own_frames("port_reuse.pcap", false, "tcp.stream == 1"),
        mptcp
    );
    for two_pass in [false, true] {
        assert_eq!(
            own_frames("port_reuse.pcap", two_pass, "mptcpx.connection == 0"),
            mptcp,
            "two passes: {two_pass}"
        );
        assert_eq!(
            own_frames("port_reuse.pcap", two_pass, "mptcpx.connection"),
            mptcp,
            "two passes: {two_pass}"
        );
        // The checksum of the mapping on 15 covers 16 and 17; 15 shows the verdict of 17 once
        // it is known.
        let verified: &[u32] = if two_pass { &[13, 15, 17] } else { &[13, 17] };
        assert_eq!(
            own_frames(
                "port_reuse.pcap",
                two_pass,
                "mptcpx.dss.checksum_valid == 1"
            ),
            verified,
            "two passes: {two_pass}"
        );
        assert_eq!(
            own_frames(
                "port_reuse.pcap",
                two_pass,
                "mptcpx.dss.checksum_bad || mptcpx.fallback.options_missing || mptcpx.plugin_error"
            ),
            [] as [u32; 0],
            "two passes: {two_pass}"
        );
    }
    assert_eq!(
        own_matching("port_reuse.pcap", "mptcpx.fastclose.answered_in == 21"),
        [20]
    );
}

#[test]
fn a_stream_plain_so_far_is_followed_again_once_it_has_an_mptcp_option() {
    // plain_then_dss.pcap: a handshake without MPTCP options (1-3), a pure ACK (4), data with a
    // DSS mapping of 100 bytes (5), 100 more bytes that no mapping covers (6). Until 5 the
    // stream is plain TCP, and its segments without options tell the analysis nothing; from 5
    // on it is an MPTCP subflow, and 6 is data whose DSS is missing.
    for two_pass in [false, true] {
        assert_eq!(
            own_frames(
                "plain_then_dss.pcap",
                two_pass,
                "mptcpx.fallback.options_missing"
            ),
            [6],
            "two passes: {two_pass}"
        );
    }
    // The connection as known when the frame was first seen; in a second pass, as known at
    // the end of the capture.
    assert_eq!(
        own_frames("plain_then_dss.pcap", false, "mptcpx.connection == 0"),
        [5, 6]
    );
    assert_eq!(
        own_frames("plain_then_dss.pcap", true, "mptcpx.connection == 0"),
        [1, 2, 3, 4, 5, 6]
    );
}

/// An environment like [`env()`] whose HOME has no plugin: plain Wireshark.
fn env_without_plugin() -> &'static common::Env {
    static BARE: std::sync::OnceLock<common::Env> = std::sync::OnceLock::new();
    BARE.get_or_init(|| {
        let bare = common::Env::install(Some("noplugin"), &common::plugin_library());
        std::fs::remove_dir_all(bare.home.join(".local/lib/wireshark/plugins"))
            .expect("remove the plugin");
        bare
    })
}

/// `tshark -G protocols` lists mptcpx with the plugin, not without: the two environments
/// are what the tests take them for.
fn assert_plugin_only_in_env() {
    // Name, short name, filter name (Wireshark 4.4 adds columns after it).
    let listed = |e: &common::Env| {
        e.tshark(&["-G", "protocols"])
            .ok()
            .lines()
            .filter(|l| l.split('\t').nth(2) == Some("mptcpx"))
            .count()
    };
    assert_eq!(listed(env()), 1, "the plugin is not loaded");
    assert_eq!(
        listed(env_without_plugin()),
        0,
        "the plugin-less HOME loads the plugin"
    );
}

/// Every file under `dir` whose name has an extension starting with "pcap", recursively.
fn pcaps_under(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            pcaps_under(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.starts_with("pcap"))
        {
            out.push(path);
        }
    }
}

#[test]
fn protocol_layers_are_those_of_wireshark_without_the_plugin() {
    assert_plugin_only_in_env();
    let mut all = Vec::new();
    pcaps_under(&common::repo().join("tests/captures"), &mut all);
    let own_count = all.len();
    assert!(own_count >= 40, "{own_count} own captures");
    if let Some(shared) = shared_for("protocol_layers_are_those_of_wireshark_without_the_plugin") {
        pcaps_under(&shared.join("captures"), &mut all);
        assert!(
            all.len() >= own_count + 30,
            "{own_count} own captures, {} in all",
            all.len()
        );
    }
    all.sort();
    // Each environment copies a capture under its file name: names must not collide.
    let mut names: Vec<_> = all
        .iter()
        .map(|p| p.file_name().unwrap().to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "two captures with one file name");
    for path in &all {
        let layers = |e: &common::Env| {
            let file = e.readable(path);
            e.tshark(&[
                "-r",
                file.to_str().unwrap(),
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "frame.protocols",
            ])
            .ok()
        };
        let with = layers(env());
        assert!(!with.is_empty(), "{}: no frames", path.display());
        assert_eq!(
            with,
            layers(env_without_plugin()),
            "{}: frame.protocols with the plugin vs without",
            path.display()
        );
    }
}

/// The protocols tshark offers for `-d ip.proto==6,...`, from the error it prints for an
/// unknown one, and its stderr at start-up.
fn decode_as_choices(e: &common::Env) -> Vec<String> {
    let file = e.readable(&common::repo().join("tests/captures/encap_plain.pcap"));
    let run = e.tshark(&["-r", file.to_str().unwrap(), "-d", "ip.proto==6,bogus"]);
    assert!(
        !run.output.status.success(),
        "tshark accepted a bogus protocol"
    );
    let err = run.stderr();
    assert!(
        err.contains("Valid protocols for layer type \"ip.proto\""),
        "{err}"
    );
    err.lines()
        .filter_map(|l| l.strip_prefix('\t'))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn decode_as_still_offers_tcp_once_and_start_up_is_silent() {
    assert_plugin_only_in_env();
    let with = decode_as_choices(env());
    assert_eq!(with.iter().filter(|p| *p == "tcp").count(), 1, "{with:?}");
    assert!(!with.iter().any(|p| p.starts_with("mptcpx")), "{with:?}");
    assert_eq!(with, decode_as_choices(env_without_plugin()));
    // Loading the plugin and reading a capture print nothing (no warning about a dissector
    // table or handle).
    let file = env().readable(&common::repo().join("tests/captures/encap_plain.pcap"));
    for args in [
        &["-r", file.to_str().unwrap()][..],
        &["-r", file.to_str().unwrap(), "-2", "-V"][..],
        &["-G", "decodes"][..],
    ] {
        let run = env().tshark(args);
        run.ok();
        assert_eq!(run.stderr(), "", "tshark {args:?}: stderr");
    }
}

#[test]
fn decodes_dump_keeps_every_association_but_ip_proto_6() {
    // `tshark -G decodes` lists the current handle of each table entry by its protocol. The
    // plugin's handle in ip.proto 6 (TCP, then the analysis) has no protocol of its own, so
    // that no protocol layer or Decode As choice is added: Wireshark leaves that entry out of
    // the dump (README, "Limits"). Every other association is unchanged.
    assert_plugin_only_in_env();
    let with = env().tshark(&["-G", "decodes"]).ok();
    let without = env_without_plugin().tshark(&["-G", "decodes"]).ok();
    let ip_proto_6 = "ip.proto\t6\ttcp";
    assert_eq!(
        without.lines().filter(|l| *l == ip_proto_6).count(),
        1,
        "ip.proto 6 without the plugin"
    );
    assert_eq!(
        with.lines()
            .filter(|l| l.starts_with("ip.proto\t6\t"))
            .count(),
        0,
        "ip.proto 6 with the plugin"
    );
    let with: std::collections::HashSet<&str> = with.lines().collect();
    let missing: Vec<&str> = without
        .lines()
        .filter(|l| *l != ip_proto_6 && !with.contains(l))
        .collect();
    assert_eq!(
        missing,
        [] as [&str; 0],
        "associations lost with the plugin"
    );
}

/// A mapping sent as two segments (1420 + 80 bytes) that both carry its DSS option and
/// checksum: in two passes both show the verdict, the first with a link to the second, which
/// completed the mapping; in one pass only the second, where it is known. Frames 10 and 13 of
/// dss_checksum.pcap: the client's first 1500-byte write after the MP_CAPABLE data.
#[test]
fn every_frame_that_carries_a_checksum_shows_its_verdict() {
    let capture = capture("dss_checksum.pcap");
    let split: Vec<u32> = frames_in(
        &capture,
        false,
        "tcp.len == 1420 && mptcpx.dss.checksum",
        &[],
    );
    assert!(
        split.len() >= 15 && split.contains(&10),
        "the first segments of split mappings: {split:?}"
    );
    let completed = |frame: u32, two_pass: bool| -> Vec<u32> {
        let filter = format!("frame.number == {frame}");
        let passes: &[&str] = if two_pass { &["-2"] } else { &[] };
        let rows = common::fields(
            &capture,
            &[passes, &["-Y", &filter]].concat(),
            &["mptcpx.dss.checksum_valid", "mptcpx.dss.completed_in"],
        );
        match &rows[..] {
            [row] if row[0].is_empty() && row[1].is_empty() => Vec::new(),
            [row] if row[0] == ["1"] || row[0] == ["True"] => row[1]
                .iter()
                .map(|f| {
                    f.parse()
                        .unwrap_or_else(|_| panic!("frame {frame}: {rows:?}"))
                })
                .collect(),
            _ => panic!("frame {frame}: {rows:?}"),
        }
    };
    assert_eq!(completed(10, true), [13]);
    assert_eq!(
        completed(10, false),
        [] as [u32; 0],
        "one pass: not known yet"
    );
    // Frame 13 completed it: its verdict links back to the mapping instead.
    assert_eq!(
        frames_in(
            &capture,
            false,
            "frame.number == 13 && mptcpx.dss.checksum_valid && mptcpx.dss.mapping_frame == 10",
            &[]
        ),
        [13]
    );
    // Every split mapping's first segment has the verdict in two passes, and none of them in
    // one; every frame with a checksum has one in two passes.
    assert_eq!(
        frames_in(
            &capture,
            true,
            "tcp.len == 1420 && mptcpx.dss.checksum_valid && mptcpx.dss.completed_in",
            &[]
        ),
        split
    );
    assert_eq!(
        frames_in(
            &capture,
            false,
            "tcp.len == 1420 && mptcpx.dss.checksum_valid",
            &[]
        ),
        [] as [u32; 0]
    );
    let with_checksum = frames_in(
        &capture,
        true,
        "mptcpx.dss.checksum && !tcp.analysis.retransmission",
        &[],
    );
    assert_eq!(
        frames_in(
            &capture,
            true,
            "mptcpx.dss.checksum && !tcp.analysis.retransmission && mptcpx.dss.checksum_valid",
            &[]
        ),
        with_checksum
    );
}

/// The final RST of an option-A fastclose carries a valid MP_FASTCLOSE key: a check that
/// passed, counted apart from its two findings (the final RST, the MP_TCPRST reason).
#[test]
fn a_valid_fastclose_key_is_a_check_that_passed() {
    let capture = capture("fastclose_option_a_Aside.pcap");
    let out = env()
        .tshark(&[
            "-r",
            capture.to_str().unwrap(),
            "-2",
            "-V",
            "-Y",
            "frame.number == 22",
        ])
        .ok();
    let summary: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("[MPTCP extended analysis: connection"))
        .collect();
    assert_eq!(
        summary,
        ["[MPTCP extended analysis: connection 0, 2 findings, 1 check passed]"],
        "{out}"
    );
    assert!(
        out.contains("Key valid: True") || out.contains("Key valid: 1"),
        "{out}"
    );
    // The key is still a field to filter on, on every MP_FASTCLOSE that carries it.
    assert_eq!(
        frames_in(&capture, true, "mptcpx.fastclose.key_valid == 1", &[]),
        [16, 18, 19, 20, 21, 22]
    );
}
