//! Reading captures in tests and benches: TCP segments out of pcap files.
//!
//! The repository's own captures (`tests/captures/`, made by its scripts) are always there;
//! `../shared/captures` beside the repository is an extra corpus, run when present (CI has
//! it). Tests of it say in one line when they are skipped.
#![allow(dead_code)]

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// `tests/captures/` at the repository's root: the repository's own captures.
pub fn own_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/captures")
}

/// `tests/captures/<name>`; a missing file is a failure.
pub fn own(name: &str) -> PathBuf {
    let path = own_dir().join(name);
    assert!(
        path.is_file(),
        "{} is missing (tests/captures/gen_kernel.sh or gen_crafted.py make it)",
        path.display()
    );
    path
}

/// Every capture of `tests/captures/`, sorted.
pub fn own_captures() -> Vec<PathBuf> {
    let dir = own_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the repository's captures in {}, found {}",
        dir.display(),
        files.len()
    );
    files
}

/// The captures of `tests/captures/gen_kernel.sh`: real Linux traffic.
pub const OWN_KERNEL: [&str; 28] = [
    "syn_drop_fallback.pcap",
    "add_addr_echo_lost.pcap",
    "add_addr_echo_lost_cliside.pcap",
    "join_unknown_token.pcap",
    "join_closed_port.pcap",
    "forged_fastclose_key.pcap",
    "join_addaddr_datafin.pcap",
    "addaddr_port.pcap",
    "remove_addr.pcap",
    "mp_prio_backup.pcap",
    "fastclose_linger0.pcap",
    "fastclose_statefulfw.pcap",
    "fastclose_statefulfw_srvside.pcap",
    "join_rejected_limits.pcap",
    "dss_checksum.pcap",
    "mp_fail.pcap",
    "mp_fail_srvside.pcap",
    "fallback_syn_stripped.pcap",
    "fallback_syn_stripped_srvside.pcap",
    "fallback_synack_stripped.pcap",
    "fallback_synack_stripped_srvside.pcap",
    "capable_data_stripped.pcap",
    "capable_data_stripped_srvside.pcap",
    "midstream_dss_stripped.pcap",
    "midstream_dss_stripped_srvside.pcap",
    "server_initiated_join.pcap",
    "tfo_mp_capable.pcap",
    "v6_endpoint_del.pcap",
];

/// `../shared/captures` beside the repository, if it is there.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures");
    dir.is_dir().then_some(dir)
}

/// `../shared/captures`, for a test (named `test`) or part of one that is about the shared
/// set; when it is absent, says in one line that this is skipped.
pub fn shared_for(test: &str) -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.is_none() {
        eprintln!("{test}: skipped the shared captures: ../shared/captures is absent");
    }
    dir
}

/// For a test (named `test`) whose subject is the shared set itself: whether it is absent,
/// in which case one line says the test is skipped.
pub fn skip_without_shared(test: &str) -> bool {
    let absent = shared_dir().is_none();
    if absent {
        eprintln!("{test}: skipped: its subject is ../shared/captures, which is absent");
    }
    absent
}

/// `own`, then `shared` when `../shared/captures` is present (one line says so when not):
/// the names of the captures a test runs on.
pub fn names<'a>(test: &str, own: &[&'a str], shared: &[&'a str]) -> Vec<&'a str> {
    let mut all = own.to_vec();
    if shared_for(test).is_some() {
        all.extend_from_slice(shared);
    }
    all
}

/// A capture by name: `kernel/...`, `crafted/...` and `public/...` are in `../shared/captures`
/// (present: callers check with [`shared_for`] or [`names`]), other names in `tests/captures/`.
pub fn capture(name: &str) -> PathBuf {
    if name.contains('/') {
        captures_dir().join(name)
    } else {
        own(name)
    }
}

/// Every capture the tests run on: the repository's, then the shared set's when present.
pub fn all_captures(test: &str) -> Vec<PathBuf> {
    let mut all = own_captures();
    if shared_for(test).is_some() {
        for sub in ["kernel", "crafted", "public"] {
            all.extend(captures_in(sub));
        }
    }
    all
}

/// `../shared/captures`, which the caller knows is there ([`shared_for`]).
pub fn captures_dir() -> PathBuf {
    shared_dir().expect("../shared/captures beside the repository (check with shared_for first)")
}

/// Every `.pcap` under `../shared/captures/<sub>`, sorted; none when `../shared/captures` is
/// absent (said in one line).
pub fn captures_in(sub: &str) -> Vec<PathBuf> {
    let Some(dir) = shared_dir() else {
        eprintln!("../shared/captures is absent: no shared {sub} captures");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
        .unwrap_or_else(|e| panic!("reading captures/{sub}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in captures/{sub}");
    files
}

/// One TCP segment of a capture.
#[derive(Debug, Clone)]
pub struct Packet {
    /// 1-based frame number.
    pub frame: usize,
    /// Seconds since the epoch.
    pub time: f64,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The TCP segment: header and captured payload.
    pub tcp: Vec<u8>,
}

/// Every frame of a pcap file; frames that are not TCP over IPv4/IPv6 come back as `None`.
pub fn read_frames(path: &Path) -> Vec<Option<Packet>> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut linktype = Linktype::ETHERNET;
    let mut frame = 0usize;
    let mut push = |linktype: Linktype, time: f64, bytes: &[u8], out: &mut Vec<Option<Packet>>| {
        frame += 1;
        out.push(link_to_tcp(linktype, bytes).map(|(src, dst, tcp)| Packet {
            frame,
            time,
            src,
            dst,
            tcp: tcp.to_vec(),
        }));
    };
    let is_ng = data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    if is_ng {
        let mut reader = PcapNGReader::new(65536, &data[..]).expect("pcapng header");
        let mut linktypes = Vec::new();
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    if let PcapBlockOwned::NG(b) = block {
                        use pcap_parser::Block;
                        match b {
                            Block::InterfaceDescription(idb) => linktypes.push(idb.linktype),
                            Block::EnhancedPacket(epb) => {
                                let lt = linktypes
                                    .get(epb.if_id as usize)
                                    .copied()
                                    .unwrap_or(Linktype::ETHERNET);
                                let t = (u64::from(epb.ts_high) << 32 | u64::from(epb.ts_low))
                                    as f64
                                    / 1e6;
                                push(lt, t, &epb.data[..epb.caplen as usize], &mut out);
                            }
                            _ => {}
                        }
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
                Err(e) => panic!("{}: {e:?}", path.display()),
            }
        }
    } else {
        let mut reader = LegacyPcapReader::new(65536, &data[..]).expect("pcap header");
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => linktype = h.network,
                        PcapBlockOwned::Legacy(b) => {
                            let t = f64::from(b.ts_sec) + f64::from(b.ts_usec) / 1e6;
                            push(linktype, t, &b.data[..b.caplen as usize], &mut out);
                        }
                        _ => {}
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
                Err(e) => panic!("{}: {e:?}", path.display()),
            }
        }
    }
    out
}

/// The IP addresses and the TCP segment (header and captured payload) of a link-layer frame:
/// Ethernet (with VLAN tags), Linux SLL and SLL2, raw IP, BSD loopback; IPv4 (first fragments
/// only) and IPv6 (past hop-by-hop, routing and destination options).
pub fn link_to_tcp(linktype: Linktype, bytes: &[u8]) -> Option<(IpAddr, IpAddr, &[u8])> {
    let ip = match linktype {
        Linktype::ETHERNET => {
            let mut ethertype = u16::from_be_bytes([*bytes.get(12)?, *bytes.get(13)?]);
            let mut at = 14;
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                ethertype = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]);
                at += 4;
            }
            if ethertype != 0x0800 && ethertype != 0x86dd {
                return None;
            }
            bytes.get(at..)?
        }
        Linktype::LINUX_SLL => bytes.get(16..)?,
        Linktype::LINUX_SLL2 => bytes.get(20..)?,
        Linktype::RAW | Linktype(228) | Linktype(229) => bytes,
        Linktype::NULL => bytes.get(4..)?,
        _ => return None,
    };
    ip_to_tcp(ip)
}

/// [`link_to_tcp`] from the IP header on.
pub fn ip_to_tcp(ip: &[u8]) -> Option<(IpAddr, IpAddr, &[u8])> {
    match ip.first()? >> 4 {
        4 => {
            let ihl = (ip[0] & 0x0f) as usize * 4;
            // Not TCP, or a fragment other than the first.
            if *ip.get(9)? != 6 || u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]) & 0x1fff != 0 {
                return None;
            }
            let total = u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]) as usize;
            let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            let end = total.min(ip.len());
            Some((IpAddr::from(src), IpAddr::from(dst), ip.get(ihl..end)?))
        }
        6 => {
            let payload_len = u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]) as usize;
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let end = (40 + payload_len).min(ip.len());
            // Hop-by-hop, routing, destination options: skip to TCP.
            let (mut next, mut at) = (*ip.get(6)?, 40);
            while matches!(next, 0 | 43 | 60) {
                next = *ip.get(at)?;
                at += (usize::from(*ip.get(at + 1)?) + 1) * 8;
            }
            if next != 6 {
                return None;
            }
            Some((IpAddr::from(src), IpAddr::from(dst), ip.get(at..end)?))
        }
        _ => None,
    }
}

/// Findings that only confirm what is healthy (valid checksums, HMACs and keys): tests that
/// look for what is notable filter them out.
#[cfg(feature = "analysis")]
pub fn is_routine(f: &mptcp_parse::analysis::Finding) -> bool {
    use mptcp_parse::analysis::{AddAddrVerdict, Finding};
    matches!(
        f,
        Finding::DssChecksum { valid: true, .. }
            | Finding::JoinHmac { valid: true, .. }
            | Finding::FastcloseKey { valid: true }
            | Finding::AddAddrHmac {
                verdict: AddAddrVerdict::Valid
            }
    )
}
