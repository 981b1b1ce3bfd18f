//! The plugin inside the real tshark: it loads, registers every public name, and agrees with
//! Wireshark's own MPTCP dissector on every capture: the repository's (`tests/captures/`), and
//! the shared set's when `../shared/captures` is present.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{all_captures, env, fields, frames_in, own_capture, pdml_attr, shared_for};

/// Names of a list of public names (`docs/fields.md`, `spec/fields.md`): (name, type column)
/// of the field tables, expert names, prefs.
struct Spec {
    fields: Vec<(String, String)>,
    experts: Vec<(String, String)>,
    prefs: Vec<String>,
    /// The names of the other sections, by section: features that a list may name before the
    /// plugin has them (the Convert protocol, connection summaries), all or none registered.
    features: BTreeMap<String, Vec<String>>,
}

fn spec_at(path: &Path) -> Spec {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut spec = Spec {
        fields: Vec::new(),
        experts: Vec::new(),
        prefs: Vec::new(),
        features: BTreeMap::new(),
    };
    let mut section = String::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.to_string();
            continue;
        }
        if !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // cells[0] is empty (line starts with '|'); cells[1] the names, cells[2] the type.
        let mut names = Vec::new();
        let mut last = String::new();
        for token in cells[1].split('`').skip(1).step_by(2) {
            let name = if let Some(suffix) = token.strip_prefix('.') {
                // "`mptcpx.fault.middlebox.ipv4` / `.ipv6`": a sibling of the previous name.
                let parent = last.rsplit_once('.').map_or(last.as_str(), |(p, _)| p);
                format!("{parent}.{suffix}")
            } else {
                token.to_string()
            };
            last = name.clone();
            names.push(name);
        }
        for name in names {
            if section.starts_with("Preferences") {
                spec.prefs.push(name);
            } else if section.starts_with("Expert") {
                spec.experts.push((name, cells[2].to_string()));
            } else if section.starts_with("Decoded option fields")
                || section.starts_with("Analysis fields")
            {
                spec.fields.push((name, cells[2].to_string()));
            } else {
                spec.features.entry(section.clone()).or_default().push(name);
            }
        }
    }
    assert!(
        spec.fields.len() > 20 && spec.experts.len() > 20 && spec.prefs.len() == 2,
        "{} parsed badly",
        path.display()
    );
    spec
}

/// The repository's list of public names (`docs/fields.md`), then the specification's
/// (`../shared/spec/fields.md`) when it is present.
fn specs(test: &str) -> Vec<(PathBuf, Spec)> {
    let mut paths = vec![common::repo().join("docs/fields.md")];
    if let Some(shared) = shared_for(test) {
        paths.push(shared.join("spec/fields.md"));
    }
    paths
        .into_iter()
        .map(|p| (p.clone(), spec_at(&p)))
        .collect()
}

/// Wireshark field types a fields.md type allows.
fn ftypes_for(spec_type: &str) -> &'static [&'static str] {
    match spec_type {
        t if t.starts_with("uint8") => &["FT_UINT8"],
        "uint32" => &["FT_UINT32"],
        "bool" => &["FT_BOOLEAN"],
        "address" => &["FT_IPv4", "FT_IPv6"],
        "frame number" => &["FT_FRAMENUM"],
        "relative time" => &["FT_RELATIVE_TIME"],
        "protocol" => &["FT_PROTOCOL"],
        other => panic!("fields.md type {other:?} has no mapping in this test"),
    }
}

#[test]
fn plugin_loads() {
    let out = env().tshark(&["-G", "plugins"]).ok();
    let line = out
        .lines()
        .find(|l| l.starts_with("mptcpx.so"))
        .unwrap_or_else(|| panic!("tshark -G plugins does not list mptcpx.so:\n{out}"));
    assert!(line.contains("dissector"), "{line}");
    assert!(line.contains(env!("CARGO_PKG_VERSION")), "{line}");
}

#[test]
fn every_public_name_is_registered() {
    let out = env().tshark(&["-G", "fields"]).ok();
    let mut registered: BTreeMap<String, String> = BTreeMap::new();
    for line in out.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols.as_slice() {
            ["P", _, abbrev, ..] => {
                registered.insert(abbrev.to_string(), "FT_PROTOCOL".into());
            }
            ["F", _, abbrev, ftype, ..] => {
                registered.insert(abbrev.to_string(), ftype.to_string());
            }
            _ => {}
        }
    }
    let prefs = env().tshark(&["-G", "defaultprefs"]).ok();
    for (path, spec) in specs("every_public_name_is_registered") {
        let list = path.display();
        let mut missing = Vec::new();
        for (name, spec_type) in &spec.fields {
            match registered.get(name) {
                None => missing.push(name.clone()),
                Some(ftype) => assert!(
                    ftypes_for(spec_type).contains(&ftype.as_str()),
                    "{name}: registered as {ftype}, {list} says {spec_type}"
                ),
            }
        }
        for (name, _) in &spec.experts {
            if !registered.contains_key(name) {
                missing.push(name.clone());
            }
        }
        assert!(missing.is_empty(), "not registered, of {list}: {missing:?}");
        // A feature is there whole or not at all; one not there yet is named, never skipped
        // silently.
        for (section, names) in &spec.features {
            let absent: Vec<&String> = names
                .iter()
                .filter(|n| !registered.contains_key(n.as_str()))
                .collect();
            if absent.len() == names.len() {
                eprintln!("{list}: \"{section}\" is not in the plugin yet: its {} names are not registered", names.len());
            } else {
                assert!(
                    absent.is_empty(),
                    "{list}, \"{section}\": registered in part, missing {absent:?}"
                );
            }
        }
        for pref in &spec.prefs {
            assert!(
                prefs.contains(&format!("#{pref}:")),
                "preference {pref} of {list} not registered"
            );
        }
    }
    assert!(
        prefs.contains("#mptcpx.fault_announce_subtype: 9"),
        "default subtype is not 9"
    );
    assert!(
        prefs.contains("#mptcpx.verify_crypto: TRUE"),
        "verify_crypto is not TRUE by default"
    );
}

/// Every MPTCP option gets an `mptcpx` subtree with the same subtype as Wireshark's, and
/// tshark neither fails nor reports an exception in our protocol.
#[test]
fn subtypes_match_wireshark_on_every_capture() {
    for capture in all_captures("subtypes_match_wireshark_on_every_capture") {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let rows = fields(
            &capture,
            &[],
            &[
                "frame.number",
                "tcp.options.mptcp.subtype",
                "mptcpx.subtype",
            ],
        );
        assert!(!rows.is_empty(), "{name}: no frames");
        for row in &rows {
            assert_eq!(
                row[1], row[2],
                "{name} frame {:?}: Wireshark's subtypes vs ours",
                row[0]
            );
        }
        no_exception_in_mptcpx(&capture, &[]);
    }
}

fn no_exception_in_mptcpx(capture: &Path, extra: &[&str]) {
    let env = env();
    let file = env.readable(capture);
    let mut args = vec!["-r", file.to_str().unwrap(), "-V"];
    args.extend_from_slice(extra);
    let run = env.tshark(&args);
    let out = run.ok();
    let name = capture.display();
    for bad in [
        "Dissector bug, protocol MPTCPX",
        "Malformed Packet: MPTCPX",
        "mptcpx.plugin_error",
        "MPTCPX internal error",
    ] {
        assert!(!out.contains(bad), "{name}: {bad}");
    }
    let stderr = run.stderr();
    assert!(
        !stderr.contains("mptcpx"),
        "{name}: tshark stderr mentions the plugin:\n{stderr}"
    );
}

/// Values Wireshark and MPTCPX both decode, grouped so that one Wireshark field can stand
/// for several of ours (Wireshark shows the MP_FASTCLOSE key as its receiver key, and one
/// address ID field for every subtype).
const GROUPS: &[(&str, &[&str], &[&str])] = &[
    (
        "version",
        &["tcp.options.mptcp.version"],
        &["mptcpx.capable.version"],
    ),
    (
        "keys",
        &["tcp.options.mptcp.sendkey", "tcp.options.mptcp.recvkey"],
        &[
            "mptcpx.capable.sender_key",
            "mptcpx.capable.receiver_key",
            "mptcpx.fastclose.key",
        ],
    ),
    (
        "token",
        &["tcp.options.mptcp.recvtok"],
        &["mptcpx.join.token"],
    ),
    (
        "random",
        &["tcp.options.mptcp.sendrand"],
        &["mptcpx.join.nonce"],
    ),
    (
        "join truncated hmac",
        &["tcp.options.mptcp.sendtrunchmac"],
        &["mptcpx.join.truncated_hmac"],
    ),
    (
        "join hmac",
        &["tcp.options.mptcp.sendhmac"],
        &["mptcpx.join.hmac"],
    ),
    (
        "address id",
        &["tcp.options.mptcp.addrid"],
        &[
            "mptcpx.join.addr_id",
            "mptcpx.add_addr.addr_id",
            "mptcpx.prio.addr_id",
            "mptcpx.remove_addr.addr_id",
        ],
    ),
    (
        "data ack",
        &["tcp.options.mptcp.rawdataack"],
        &["mptcpx.dss.ack"],
    ),
    (
        "dsn",
        &["tcp.options.mptcp.rawdataseqno"],
        &["mptcpx.dss.dsn", "mptcpx.fail.dsn"],
    ),
    (
        "ssn",
        &["tcp.options.mptcp.subflowseqno"],
        &["mptcpx.dss.ssn"],
    ),
    (
        "data-level length",
        &["tcp.options.mptcp.datalvllen"],
        &["mptcpx.dss.data_len", "mptcpx.capable.data_len"],
    ),
    (
        "checksum",
        &["tcp.options.mptcp.checksum"],
        &["mptcpx.dss.checksum", "mptcpx.capable.checksum"],
    ),
    (
        "ipv4",
        &["tcp.options.mptcp.ipv4"],
        &["mptcpx.add_addr.ipv4"],
    ),
    (
        "ipv6",
        &["tcp.options.mptcp.ipv6"],
        &["mptcpx.add_addr.ipv6"],
    ),
    (
        "port",
        &["tcp.options.mptcp.port"],
        &["mptcpx.add_addr.port"],
    ),
    (
        "add_addr hmac",
        &["tcp.options.mptcp.addaddrtrunchmac"],
        &["mptcpx.add_addr.hmac"],
    ),
    (
        "rst reason",
        &["tcp.options.mptcp.rst_reason"],
        &["mptcpx.rst.reason"],
    ),
];

/// Disagreements explained by defects of Wireshark 4.0's MPTCP dissector (see
/// ../shared/captures/README.md); returns the reason, or None for a real disagreement.
fn known_wireshark_defect(group: &str, theirs: &[String], ours: &[String]) -> Option<&'static str> {
    match group {
        // 4.0 shows no checksum for a DSS mapping (README: "DSS checksum not decoded"), nor
        // for MP_CAPABLE with data and checksum (length 24).
        "checksum" if theirs.is_empty() && !ours.is_empty() => {
            Some("Wireshark 4.0 does not decode the DSS checksum")
        }
        _ => None,
    }
}

/// A value as both dissectors print it: integers in decimal, bytes without separators.
fn normalize(v: &str) -> String {
    let v = v.trim();
    if let Some(hex) = v.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return n.to_string();
        }
    }
    if v.len() > 16 && v.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
        return v.replace(':', "").to_lowercase();
    }
    v.to_lowercase()
}

#[test]
fn decoded_values_match_wireshark() {
    let mut wanted = vec!["frame.number"];
    for (_, theirs, ours) in GROUPS {
        wanted.extend_from_slice(theirs);
        wanted.extend_from_slice(ours);
    }
    let mut defects: BTreeMap<&str, usize> = BTreeMap::new();
    let mut agreed: BTreeMap<&str, usize> = GROUPS.iter().map(|g| (g.0, 0)).collect();
    let mut disagreements = Vec::new();
    for capture in all_captures("decoded_values_match_wireshark") {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        for row in fields(&capture, &[], &wanted) {
            let mut col = 1;
            for (group, theirs, ours) in GROUPS {
                let mut t: Vec<String> = row[col..col + theirs.len()]
                    .iter()
                    .flatten()
                    .map(|v| normalize(v))
                    .collect();
                col += theirs.len();
                let mut o: Vec<String> = row[col..col + ours.len()]
                    .iter()
                    .flatten()
                    .map(|v| normalize(v))
                    .collect();
                col += ours.len();
                t.sort();
                o.sort();
                if t == o {
                    if !t.is_empty() {
                        *agreed.get_mut(group).unwrap() += 1;
                    }
                    continue;
                }
                match known_wireshark_defect(group, &t, &o) {
                    Some(reason) => *defects.entry(reason).or_default() += 1,
                    None => disagreements.push(format!(
                        "{name} frame {}: {group}: Wireshark {t:?}, MPTCPX {o:?}",
                        row[0].join("")
                    )),
                }
            }
        }
    }
    for (reason, n) in &defects {
        eprintln!("known Wireshark defect ({n} frames): {reason}");
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // Each group was compared on real values somewhere (a renamed field would leave it empty).
    for (group, n) in &agreed {
        assert!(
            *n > 0,
            "no frame of the captures has a value for {group:?} in both dissectors"
        );
    }
}

/// The captures of FAULT_ANNOUNCE (causes 0x0A-0x0E, the same frames in each): the
/// repository's, and the shared one when present.
fn fault_captures(test: &str) -> Vec<PathBuf> {
    let mut all = vec![own_capture("fault_announce.pcap")];
    if let Some(shared) = shared_for(test) {
        all.push(shared.join("captures/crafted/c03_fault_announce_subtype9.pcap"));
    }
    all
}

#[test]
fn fault_announce_causes_with_names() {
    for capture in fault_captures("fault_announce_causes_with_names") {
        let rows = fields(&capture, &[], &["mptcpx.fault.cause"]);
        let mut causes: Vec<String> = rows.into_iter().flatten().flatten().collect();
        causes.sort();
        causes.dedup();
        assert_eq!(causes, ["0x0a", "0x0b", "0x0c", "0x0d", "0x0e"]);

        let env = env();
        let file = env.readable(&capture);
        let text = env.tshark(&["-r", file.to_str().unwrap(), "-V"]).ok();
        for name in [
            "Cause: Network unreachable (0x0a)",
            "Cause: Host unreachable (0x0b)",
            "Cause: Routing failed (0x0c)",
            "Cause: Server suppression (0x0d)",
            "Cause: TTL equals zero (IP loop suspected) (0x0e)",
            "Subtype: FAULT_ANNOUNCE (9)",
        ] {
            assert!(text.contains(name), "missing {name:?}");
        }
        let info = env.tshark(&["-r", file.to_str().unwrap()]).ok();
        assert!(
            info.contains("[FAULT_ANNOUNCE: Network unreachable]"),
            "Info column:\n{info}"
        );
        assert!(
            info.contains("[MP_TCPRST: Unacceptable performance]"),
            "Info column:\n{info}"
        );
    }
}

#[test]
fn fault_announce_subtype_preference() {
    for capture in fault_captures("fault_announce_subtype_preference") {
        let count = |subtype: &str| -> usize {
            let pref = format!("mptcpx.fault_announce_subtype:{subtype}");
            fields(&capture, &["-o", &pref], &["mptcpx.fault.cause"])
                .into_iter()
                .flatten()
                .flatten()
                .count()
        };
        assert_eq!(count("9"), 6, "6 FAULT_ANNOUNCE at the default subtype");
        assert_eq!(count("0"), 0, "0 turns FAULT_ANNOUNCE off");
        assert_eq!(
            count("10"),
            0,
            "subtype 10: the subtype-9 options are unknown"
        );

        let pref = "mptcpx.fault_announce_subtype:0";
        let rows = fields(
            &capture,
            &["-o", pref],
            &["mptcpx.subtype", "mptcpx.opaque.data"],
        );
        let opaque = rows
            .iter()
            .filter(|r| r[0].contains(&"9".to_string()) && !r[1].is_empty())
            .count();
        assert_eq!(
            opaque, 6,
            "with decoding off, subtype 9 is shown as raw bytes"
        );
        no_exception_in_mptcpx(&capture, &["-o", pref]);
    }
}

/// The generated capture of malformed and odd options (tests/gen_malformed.py).
struct Generated {
    pcap: PathBuf,
    /// frame, subtype, expert, field text, description
    cases: Vec<(u32, u32, String, String, String)>,
}

fn generated() -> Generated {
    let env = env();
    let dir = env.scratch("generated");
    let pcap = dir.join("malformed.pcap");
    let status = Command::new("python3")
        .arg(common::repo().join("tests/gen_malformed.py"))
        .arg(&pcap)
        .status()
        .expect("python3 is needed to generate the test capture");
    assert!(status.success(), "gen_malformed.py failed");
    env.share(&pcap);
    let manifest = std::fs::read_to_string(dir.join("malformed.tsv")).expect("manifest");
    let cases = manifest
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].parse().unwrap(),
                c[1].parse().unwrap(),
                c[2].into(),
                c[3].into(),
                c[4].into(),
            )
        })
        .collect();
    Generated { pcap, cases }
}

#[test]
fn malformed_options_raise_expert_items_naming_the_field() {
    let g = generated();
    let rows = fields(
        &g.pcap,
        &[],
        &["frame.number", "mptcpx.subtype", "_ws.expert.message"],
    );
    let experts: Vec<&str> = {
        let mut e: Vec<&str> = g
            .cases
            .iter()
            .map(|c| c.2.as_str())
            .filter(|e| *e != "-")
            .collect();
        e.sort();
        e.dedup();
        e
    };
    // Which frames carry each expert item.
    let mut frames_with: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for expert in &experts {
        let file = env().readable(&g.pcap);
        let out = env()
            .tshark(&[
                "-r",
                file.to_str().unwrap(),
                "-Y",
                expert,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ])
            .ok();
        frames_with.insert(
            expert,
            out.lines().map(|l| l.trim().parse().unwrap()).collect(),
        );
    }
    for (frame, subtype, expert, field, desc) in &g.cases {
        let row = &rows[*frame as usize - 1];
        assert_eq!(
            row[1],
            [subtype.to_string()],
            "frame {frame} ({desc}): subtype"
        );
        for (e, frames) in &frames_with {
            let expected = expert == e;
            assert_eq!(
                frames.contains(frame),
                expected,
                "frame {frame} ({desc}): {e} expected {expected}"
            );
        }
        if field != "-" {
            let messages = row[2].join(",");
            assert!(
                messages.contains(field.as_str()),
                "frame {frame} ({desc}): expert message does not name {field:?}: {messages}"
            );
        }
    }
    no_exception_in_mptcpx(&g.pcap, &[]);
}

#[test]
fn odd_fault_announce_forms() {
    let g = generated();
    let rows = fields(
        &g.pcap,
        &[],
        &[
            "frame.number",
            "mptcpx.fault.middlebox.ipv4",
            "mptcpx.fault.middlebox.ipv6",
            "mptcpx.fault.transient",
            "mptcpx.opaque.data",
        ],
    );
    let frame =
        |desc: &str| g.cases.iter().find(|c| c.4.contains(desc)).expect(desc).0 as usize - 1;
    assert_eq!(rows[frame("IPv4 middlebox 192.0.2.7")][1], ["192.0.2.7"]);
    // Booleans print as "1" up to Wireshark 4.2, as "True" from 4.4 on.
    let transient = &rows[frame("IPv4 middlebox 192.0.2.7")][3];
    assert!(
        transient == &["1"] || transient == &["True"],
        "transient: {transient:?}"
    );
    assert_eq!(
        rows[frame("IPv6 middlebox 2001:db8::1")][2],
        ["2001:db8::1"]
    );
    assert_eq!(rows[frame("MP_EXPERIMENTAL")][4], ["dead"]);
    // Subtype 12 is FAULT_ANNOUNCE only when configured there.
    let at12 = frame("at subtype 12");
    assert_eq!(rows[at12][4], ["0a0201"], "raw bytes by default");
    let moved = fields(
        &g.pcap,
        &["-o", "mptcpx.fault_announce_subtype:12"],
        &["mptcpx.fault.cause", "mptcpx.subtype"],
    );
    assert_eq!(moved[at12][0], ["0x0a"]);
    assert!(
        moved
            .iter()
            .enumerate()
            .all(|(i, r)| i == at12 || r[0].is_empty()),
        "only subtype 12 decodes as FAULT_ANNOUNCE"
    );
}

/// Frame numbers of `capture` matching `filter`, in one pass.
fn matching(capture: &Path, filter: &str) -> Vec<u32> {
    frames_in(capture, false, filter, &[])
}

#[test]
fn options_cut_by_the_snapshot_length_say_what_is_missing() {
    // Three subflows with an announcement, joins, data and DATA_FIN: the repository's, and
    // the shared one when present.
    let mut captures = vec![own_capture("join_addaddr_datafin.pcap")];
    if let Some(shared) = shared_for("options_cut_by_the_snapshot_length_say_what_is_missing") {
        captures.push(shared.join("captures/kernel/01_v4_join_addaddr_datafin.pcap"));
    }
    for capture in captures {
        let original = env().readable(&capture);
        let stem = capture.file_stem().unwrap().to_string_lossy().into_owned();
        let with_mptcp = matching(&original, "mptcpx");
        assert!(with_mptcp.len() > 100);
        // 70 bytes keep Ethernet, IPv4, the TCP header and 16 bytes of options; 90 bytes cut DSS
        // options in their last fields.
        for snaplen in ["70", "90"] {
            let cut = env()
                .scratch("snaplen")
                .join(format!("{stem}_cut{snaplen}.pcap"));
            let status = Command::new("editcap")
                .args(["-s", snaplen])
                .arg(&original)
                .arg(&cut)
                .status()
                .expect("editcap");
            assert!(status.success());
            env().share(&cut);
            let not_captured = matching(&cut, "mptcpx.not_captured");
            assert!(
                not_captured.len() > 50,
                "snaplen {snaplen}: {not_captured:?}"
            );
            // Not malformed, and every frame where an MPTCP option starts in the captured bytes
            // still has its subtree.
            assert_eq!(
                matching(&cut, "mptcpx.malformed"),
                [] as [u32; 0],
                "snaplen {snaplen}"
            );
            let kind_30 = matching(&cut, "tcp.option_kind == 30");
            assert!(kind_30.len() > 100 && kind_30.iter().all(|f| with_mptcp.contains(f)));
            assert_eq!(matching(&cut, "mptcpx"), kind_30, "snaplen {snaplen}");
            // The note names the option, the bytes captured and the first field missing.
            let first = not_captured[0].to_string();
            let message = env()
                .tshark(&[
                    "-r",
                    cut.to_str().unwrap(),
                    "-Y",
                    &format!("frame.number == {first}"),
                    "-T",
                    "fields",
                    "-e",
                    "_ws.expert.message",
                ])
                .ok();
            assert!(
                message.contains("cut by the capture's snapshot length")
                    && message.contains("bytes captured, field \""),
                "{message}"
            );
            no_exception_in_mptcpx(&cut, &[]);
        }
    }
}

/// The plugin's fields with values (not expert items, not the protocol), each name once.
fn value_field_names() -> Vec<String> {
    let out = env().tshark(&["-G", "fields"]).ok();
    let mut names: Vec<String> = out
        .lines()
        .filter_map(
            |line| match line.split('\t').collect::<Vec<_>>().as_slice() {
                ["F", _, abbrev, ftype, "mptcpx", ..] if *ftype != "FT_NONE" => {
                    Some(abbrev.to_string())
                }
                _ => None,
            },
        )
        .collect();
    names.dedup();
    names
}

/// In a tree that is not displayed (display filters, columns) Wireshark keeps only the items
/// of fields that are named; the plugin asks for that itself and leaves out the subtrees and
/// connection-only analysis items nobody sees. Each field, as a custom column, must then read
/// the same with the tree displayed (-V) and without it, on every frame of every capture, and
/// so must the Info column. (`-T fields` would not do: it displays the tree.)
#[test]
fn fields_are_found_without_a_displayed_tree() {
    let names = value_field_names();
    assert!(names.len() > 50, "{names:?}");
    let mut format = String::from("\"No.\",\"%m\",\"Info\",\"%i\"");
    for name in &names {
        format.push_str(&format!(",\"{name}\",\"%Cus:{name}:0:R\""));
    }
    let columns = format!("gui.column.format:{format}");
    let mut values = 0;
    for capture in all_captures("fields_are_found_without_a_displayed_tree") {
        let file = env().readable(&capture);
        let file = file.to_str().unwrap();
        let summaries = |extra: &[&str]| -> Vec<String> {
            let mut args = vec!["-r", file, "-T", "tabs", "-o", &columns];
            args.extend_from_slice(extra);
            // With -P -V the summary line precedes each frame's details, which have no tabs.
            env()
                .tshark(&args)
                .ok()
                .lines()
                .filter(|l| l.contains('\t'))
                .map(str::to_string)
                .collect()
        };
        let hidden = summaries(&[]);
        let displayed = summaries(&["-P", "-V"]);
        assert_eq!(hidden.len(), displayed.len(), "{}", capture.display());
        for (h, d) in hidden.iter().zip(&displayed) {
            assert_eq!(
                h,
                d,
                "{}: without and with the tree displayed",
                capture.display()
            );
            values += h.split('\t').skip(2).filter(|v| !v.is_empty()).count();
        }
    }
    assert!(values > 1000, "only {values} values compared");
}

/// A filter that names the protocol and one of its fields (`mptcpx && mptcpx.dss.dsn`): the
/// protocol's own mark then does not tell whether any field is named, so an option without
/// expert items asks for the fields of its kind, and adds only its protocol item when none is
/// named. Every field, named with the protocol, must find the frames where it is (taken with the
/// tree displayed), on all the captures together.
#[test]
fn fields_are_found_when_the_filter_also_names_the_protocol() {
    let names = value_field_names();
    let merged = env().scratch("merged").join("all.pcapng");
    let inputs: Vec<PathBuf> =
        all_captures("fields_are_found_when_the_filter_also_names_the_protocol")
            .iter()
            .map(|c| env().readable(c))
            .collect();
    let status = Command::new("mergecap")
        .arg("-a")
        .arg("-w")
        .arg(&merged)
        .args(&inputs)
        .status()
        .expect("mergecap");
    assert!(status.success(), "mergecap");
    env().share(&merged);
    let mut wanted = vec!["frame.number"];
    wanted.extend(names.iter().map(String::as_str));
    let rows = fields(&merged, &[], &wanted);
    let file = merged.to_str().unwrap();
    // Summary lines of the frame numbers alone: the tree is not displayed.
    let numbers = "gui.column.format:\"No.\",\"%m\"";
    let found = |filter: &str| -> Vec<String> {
        env()
            .tshark(&["-r", file, "-o", numbers, "-Y", filter])
            .ok()
            .lines()
            .map(|l| l.trim().to_string())
            .collect()
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let per_worker = names.len().div_ceil(workers);
    let present: usize = std::thread::scope(|scope| {
        let found = &found;
        let rows = &rows;
        let jobs: Vec<_> = names
            .chunks(per_worker)
            .enumerate()
            .map(|(w, part)| {
                scope.spawn(move || {
                    let mut present = 0;
                    for (i, name) in part.iter().enumerate() {
                        let column = 1 + w * per_worker + i;
                        let expected: Vec<String> = rows
                            .iter()
                            .filter(|r| !r[column].is_empty())
                            .map(|r| r[0][0].clone())
                            .collect();
                        present += usize::from(!expected.is_empty());
                        assert_eq!(
                            found(&format!("mptcpx && {name}")),
                            expected,
                            "frames with {name}"
                        );
                    }
                    present
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap()).sum()
    });
    assert!(
        present > 40,
        "only {present} of {} fields are in the captures",
        names.len()
    );
}

/// In a displayed tree, the option and analysis items say what they hold (the texts are
/// formatted only there). A check that passed (frame 8, the join's HMAC) is counted apart
/// from findings (frame 17, the reason an MP_TCPRST gives).
#[test]
fn displayed_items_summarise_options_and_findings() {
    // The option-A fastclose at its initiator: the same frames in both captures.
    let mut captures = vec![own_capture("fastclose_option_a_Aside.pcap")];
    if let Some(shared) = shared_for("displayed_items_summarise_options_and_findings") {
        captures.push(shared.join("captures/crafted/c01_fastclose_ack_rst_lost_Aside.pcap"));
    }
    for capture in captures {
        let capture = env().readable(&capture);
        let filter = "frame.number == 1 || frame.number == 8 || frame.number == 17";
        let out = env()
            .tshark(&["-r", capture.to_str().unwrap(), "-2", "-V", "-Y", filter])
            .ok();
        for text in [
            "MPTCP extended analysis: MP_CAPABLE v1 (SYN)",
            "[MPTCP extended analysis: connection 0]",
            "MPTCP extended analysis: MP_JOIN (ACK)",
            "[MPTCP extended analysis: connection 0, 1 check passed]",
            "[MPTCP extended analysis: connection 0, 1 finding]",
        ] {
            assert!(
                out.lines().any(|l| l.trim() == text),
                "no line {text:?} in:\n{out}"
            );
        }
    }
}

/// Wireshark throws when a frame's tree would pass its limit of items (`gui.max_tree_items`):
/// the plugin's item adders catch that in the shim, so the frame loses only the plugin's
/// items that did not fit, says so (`mptcpx.plugin_error`, naming the limit), and every frame
/// after it is dissected. The limits swept put the limit inside the plugin's subtree of some
/// frame (checked: some option goes without its subtree), and inside Wireshark's own items of
/// others. Wireshark 4.6 adds an item to the frame after every dissector, outside any
/// catcher, and aborts when that one passes the limit, with the plugin or without it (at
/// other limits, the plugin's items being counted): such a limit is left out.
#[test]
fn an_item_over_wiresharks_limit_is_caught_and_the_capture_goes_on() {
    let env = env();
    let mut captures = vec![own_capture("join_addaddr_datafin.pcap")];
    if let Some(shared) =
        shared_for("an_item_over_wiresharks_limit_is_caught_and_the_capture_goes_on")
    {
        captures.push(shared.join("captures/kernel/01_v4_join_addaddr_datafin.pcap"));
    }
    for capture in captures {
        let capture = env.readable(&capture);
        // The handshakes and the joins: the frames with the most options.
        const FRAMES: usize = 12;
        let frames = FRAMES.to_string();
        let frames = frames.as_str();
        let subtrees = |out: &str| {
            out.lines()
                .filter(|l| l.trim_start().starts_with("MPTCP extended analysis: "))
                .count()
        };
        // The expert item's message, one line for each frame that lost items of the plugin's.
        let reports = |out: &str| {
            out.lines()
                .filter(|l| l.trim_start().starts_with("[MPTCPX items left out, "))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let full_run = env
            .tshark(&["-r", capture.to_str().unwrap(), "-c", frames, "-V"])
            .ok();
        let full = subtrees(&full_run);
        assert!(full > 0);
        assert_eq!(reports(&full_run), Vec::<String>::new());
        let mut cut_in_ours = Vec::new();
        for limit in (100..=200).step_by(2) {
            let limit_pref = format!("gui.max_tree_items:{limit}");
            let args = [
                "-r",
                capture.to_str().unwrap(),
                "-c",
                frames,
                "-o",
                &limit_pref,
                "-V",
            ];
            let run = env.tshark(&args);
            if !run.output.status.success()
                && run
                    .stderr()
                    .contains("Unhandled exception (\"Adding frame.")
            {
                continue;
            }
            let out = run.ok();
            assert_eq!(
                out.lines().filter(|l| l.starts_with("Frame ")).count(),
                FRAMES,
                "limit {limit}"
            );
            let reported = reports(&out);
            for report in &reported {
                assert!(
                    report.contains(&format!(" {limit} items")),
                    "limit {limit}: {report}"
                );
            }
            if subtrees(&out) < full {
                assert!(
                    !reported.is_empty(),
                    "limit {limit}: the plugin's items were cut without a report"
                );
                cut_in_ours.push(limit);
                // The report is an expert item to filter on: it picks frames that carry it (not
                // always the same ones: a filter can change which items the limit falls on).
                let filtered = env
                    .tshark(&[&args[..], &["-Y", "mptcpx.plugin_error"]].concat())
                    .ok();
                let picked: Vec<&str> = filtered.split("\nFrame ").collect();
                assert!(
                    filtered.starts_with("Frame ")
                        && picked.iter().all(|frame| !reports(frame).is_empty()),
                    "limit {limit}:\n{filtered}"
                );
            }
        }
        assert!(
            !cut_in_ours.is_empty(),
            "{}: no limit fell inside the plugin's items",
            capture.display()
        );
        eprintln!(
            "{}: limits that cut the plugin's items: {cut_in_ours:?}",
            capture.display()
        );
    }
}

/// The frame number and frame offset of every `field` item whose value is `show`, from PDML.
fn field_positions(capture: &Path, field: &str, show: &str) -> Vec<(u32, usize)> {
    let file = env().readable(capture);
    let out = env()
        .tshark(&["-r", file.to_str().unwrap(), "-T", "pdml"])
        .ok();
    let (mut frame, mut found) = (0, Vec::new());
    for line in out.lines() {
        let attr = |name: &str| pdml_attr(line, name);
        if line.contains("<field name=\"num\"") {
            frame = attr("show")
                .and_then(|s| s.parse().ok())
                .expect("frame number");
        } else if line.contains(&format!("<field name=\"{field}\"")) && attr("show") == Some(show) {
            found.push((
                frame,
                attr("pos").and_then(|p| p.parse().ok()).expect("pos"),
            ));
        }
    }
    found
}

/// `capture` with the high nibble of the byte at each (frame, offset) set to `subtype`,
/// written as `name` in the scratch directory. The TCP checksum, which Wireshark does not
/// verify by default, is left as it was.
fn with_subtype(capture: &Path, at: &[(u32, usize)], subtype: u8, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(capture).expect("capture");
    let little = match bytes[..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        _ => panic!("{}: not a pcap file", capture.display()),
    };
    let (mut offset, mut frame) = (24, 1u32);
    while offset + 16 <= bytes.len() {
        let len = <[u8; 4]>::try_from(&bytes[offset + 8..offset + 12]).unwrap();
        let len = if little {
            u32::from_le_bytes(len)
        } else {
            u32::from_be_bytes(len)
        } as usize;
        for &(_, pos) in at.iter().filter(|(f, _)| *f == frame) {
            let byte = &mut bytes[offset + 16 + pos];
            *byte = subtype << 4 | (*byte & 0x0f);
        }
        (offset, frame) = (offset + 16 + len, frame + 1);
    }
    let path = env().scratch("subtypes").join(name);
    std::fs::write(&path, bytes).expect("write capture");
    env().share(&path);
    path
}

/// FAULT_ANNOUNCE at the private-use subtype 15, where an implementation of the unassigned
/// option would put it: MP_EXPERIMENTAL unless chosen, and when chosen, decoded and analysed
/// as at subtype 9 (cause, announcement, the faulty subflow's stream).
#[test]
fn fault_announce_at_the_private_use_subtype_when_chosen() {
    let original = own_capture("fault_announce.pcap");
    let at_9 = field_positions(&original, "mptcpx.subtype", "9");
    assert_eq!(
        at_9.len(),
        6,
        "the FAULT_ANNOUNCE options of {}",
        original.display()
    );
    let moved = with_subtype(&original, &at_9, 15, "fault_announce_at_15.pcap");
    let analysis = [
        "frame.number",
        "mptcpx.subtype",
        "mptcpx.fault.cause",
        "mptcpx.fault.stream",
        "mptcpx.opaque.data",
    ];
    let announced = |capture: &Path, extra: &[&str]| {
        frames_in(
            &env().readable(capture),
            true,
            "mptcpx.fault.announced",
            extra,
        )
    };
    let expected = fields(&original, &["-2"], &analysis);
    // By default subtype 15 is MP_EXPERIMENTAL: opaque bytes, nothing announced.
    let by_default = fields(&moved, &["-2"], &analysis);
    for (frame, _) in &at_9 {
        let row = &by_default[*frame as usize - 1];
        assert!(
            row[1].contains(&"15".to_string()) && row[2].is_empty() && !row[4].is_empty(),
            "frame {frame}: {row:?}"
        );
    }
    assert_eq!(announced(&moved, &[]), [] as [u32; 0]);
    // Chosen, it is what subtype 9 was.
    let chosen = ["-o", "mptcpx.fault_announce_subtype:15"];
    let at_15 = fields(&moved, &[&["-2"], &chosen[..]].concat(), &analysis);
    for (frame, _) in &at_9 {
        let (got, want) = (&at_15[*frame as usize - 1], &expected[*frame as usize - 1]);
        assert_eq!(got[2..4], want[2..4], "frame {frame}: cause and stream");
        assert!(
            got[1].contains(&"15".to_string()) && got[4].is_empty(),
            "frame {frame}: {got:?}"
        );
    }
    assert_eq!(announced(&moved, &chosen), announced(&original, &[]));
    assert_eq!(announced(&original, &[]).len(), 6);
    let file = env().readable(&moved);
    let tree = env()
        .tshark(&[
            "-r",
            file.to_str().unwrap(),
            "-o",
            chosen[1],
            "-V",
            "-Y",
            "mptcpx.fault.cause",
        ])
        .ok();
    assert!(tree.contains("Subtype: FAULT_ANNOUNCE (15)"), "{tree}");
}

/// A subtype that RFC 8684 assigns, or one past the 4 bits, cannot be chosen for
/// FAULT_ANNOUNCE: tshark says so on stderr, naming the preference, and keeps the default.
#[test]
fn fault_announce_at_an_assigned_subtype_is_refused_aloud() {
    let capture = env().readable(&own_capture("fault_announce.pcap"));
    let file = capture.to_str().unwrap();
    for (value, why) in [
        ("5", "RFC 8684 assigns subtypes 0 to 8"),
        ("8", "RFC 8684 assigns"),
        ("16", "a subtype has 4 bits"),
    ] {
        let pref = format!("mptcpx.fault_announce_subtype:{value}");
        let run = env().tshark(&[
            "-r",
            file,
            "-o",
            &pref,
            "-Y",
            "mptcpx.fault.cause",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        let stderr = run.stderr();
        assert!(
            stderr.contains(&format!(
                "mptcpx.fault_announce_subtype: {value} cannot be chosen"
            )) && stderr.contains(why),
            "{value}: {stderr}"
        );
        assert!(
            stderr.contains("FAULT_ANNOUNCE stays at 9"),
            "{value}: {stderr}"
        );
        assert_eq!(run.ok().lines().count(), 6, "{value}: still decoded at 9");
    }
    // The description says which can be chosen.
    let prefs = env().tshark(&["-G", "currentprefs"]).ok();
    assert!(
        prefs.contains("15 is the private-use subtype")
            && prefs.contains("(1 to 8) cannot be chosen"),
        "{prefs}"
    );
}
