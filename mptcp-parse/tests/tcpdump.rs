//! Our decoding against tcpdump's, an independent decoder: every MPTCP option of the public
//! captures, printed the way tcpdump prints it, must equal tcpdump's own `.out` line.
//! Also: every option there round-trips byte for byte through `emit`.

mod support;

use mptcp_parse::{
    parse_mptcp_option, raw_options, AddAddrVersion, CapableForm, DataSeq, JoinForm, MptcpOption,
    TcpSegment, MPTCP_KIND,
};
use std::collections::BTreeMap;
use std::fmt::Write;

fn flag_letters(byte: u8, letters: &[(u8, char)]) -> String {
    let s: String = letters
        .iter()
        .filter(|(bit, _)| byte & bit != 0)
        .map(|(_, c)| *c)
        .collect();
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// One option the way tcpdump 4.99 prints it (`mptcp LEN name ...`).
fn tcpdump_style(len: usize, option: &MptcpOption) -> String {
    let mut s = format!("mptcp {len} ");
    match option {
        MptcpOption::MpCapable(c) => {
            let letters = [
                (0x80, 'A'),
                (0x40, 'B'),
                (0x20, 'C'),
                (0x10, 'D'),
                (0x08, 'E'),
                (0x04, 'F'),
                (0x02, 'G'),
                (0x01, 'H'),
            ];
            write!(
                s,
                "capable v{} flags [{}]",
                c.version,
                flag_letters(c.flags.0, &letters)
            )
            .unwrap();
            if c.flags.checksum_required() && !matches!(c.form, CapableForm::Bare) {
                s.push_str(" csum");
            }
            match c.form {
                CapableForm::Bare | CapableForm::Opaque(_) => {}
                CapableForm::SenderKey { key } => write!(s, " {{0x{key:x}}}").unwrap(),
                CapableForm::BothKeys {
                    sender_key,
                    receiver_key,
                } => write!(s, " {{0x{sender_key:x},0x{receiver_key:x}}}").unwrap(),
                CapableForm::BothKeysData {
                    sender_key,
                    receiver_key,
                    data_len,
                    checksum,
                } => {
                    write!(
                        s,
                        " {{0x{sender_key:x},0x{receiver_key:x},data_len={data_len}"
                    )
                    .unwrap();
                    if let Some(c) = checksum {
                        write!(s, ",csum=0x{c:x}").unwrap();
                    }
                    s.push('}');
                }
            }
        }
        MptcpOption::MpJoin(j) => {
            s.push_str("join");
            if j.backup {
                s.push_str(" backup");
            }
            match j.form {
                JoinForm::Syn {
                    address_id,
                    receiver_token,
                    sender_nonce,
                } => write!(
                    s,
                    " id {address_id} token 0x{receiver_token:x} nonce 0x{sender_nonce:x}"
                )
                .unwrap(),
                JoinForm::SynAck {
                    address_id,
                    truncated_hmac,
                    sender_nonce,
                } => write!(
                    s,
                    " id {address_id} hmac 0x{truncated_hmac:x} nonce 0x{sender_nonce:x}"
                )
                .unwrap(),
                JoinForm::Ack { hmac, .. } => {
                    s.push_str(" hmac 0x");
                    hmac.iter().for_each(|b| write!(s, "{b:02x}").unwrap());
                }
            }
        }
        MptcpOption::Dss(d) => {
            s.push_str("dss");
            if d.data_fin {
                s.push_str(" fin");
            }
            if let Some(ack) = d.data_ack {
                write!(s, " ack {ack}").unwrap();
            }
            if let Some(m) = d.mapping {
                write!(s, " seq {} subseq {} len {}", m.dsn, m.ssn, m.data_len).unwrap();
                if let Some(c) = m.checksum {
                    write!(s, " csum 0x{c:x}").unwrap();
                }
            }
        }
        MptcpOption::AddAddr(a) => {
            let version = match (a.version, a.address) {
                (AddAddrVersion::V0, std::net::IpAddr::V4(_)) => "v0-ip4",
                (AddAddrVersion::V0, std::net::IpAddr::V6(_)) => "v0-ip6",
                (AddAddrVersion::V1 { echo: true, .. }, _) => "v1-echo",
                (AddAddrVersion::V1 { .. }, _) => "v1",
            };
            write!(s, "add-addr {version} id {} {}", a.address_id, a.address).unwrap();
            if let Some(p) = a.port {
                write!(s, ":{p}").unwrap();
            }
            if let Some(h) = a.truncated_hmac {
                write!(s, " hmac 0x{h:x}").unwrap();
            }
        }
        MptcpOption::RemoveAddr(r) => {
            s.push_str("rem-addr id");
            r.address_ids
                .iter()
                .for_each(|id| write!(s, " {id}").unwrap());
        }
        MptcpOption::MpPrio(p) => {
            s.push_str(if p.backup {
                "prio backup"
            } else {
                "prio non-backup"
            });
            if let Some(id) = p.address_id {
                write!(s, " id {id}").unwrap();
            }
        }
        MptcpOption::MpFail(f) => write!(s, "fail seq {}", f.dsn).unwrap(),
        MptcpOption::MpFastclose(f) => write!(s, "fast-close key 0x{:x}", f.receiver_key).unwrap(),
        MptcpOption::MpTcpRst(r) => {
            let nibble = r.reserved | u8::from(r.transient);
            let flags = flag_letters(nibble, &[(0x8, 'U'), (0x4, 'V'), (0x2, 'W'), (0x1, 'T')]);
            write!(s, "tcprst flags [{flags}] reason {}", r.reason).unwrap();
        }
        other => write!(s, "{}", other.name()).unwrap(),
    }
    s
}

/// tcpdump's MPTCP options per frame, from its `.out` file.
fn tcpdump_options(out: &str) -> BTreeMap<usize, Vec<String>> {
    // -v output continues a frame on indented lines: join them first.
    let mut frames: Vec<(usize, String)> = Vec::new();
    for line in out.lines() {
        let trimmed = line.trim_start();
        let number = trimmed
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok());
        match number {
            Some(n)
                if line.starts_with("  ")
                    && trimmed.len() > 10
                    && trimmed.as_bytes()[n.to_string().len()] == b' '
                    && trimmed[n.to_string().len()..].starts_with("  ") =>
            {
                frames.push((n, trimmed.to_string()))
            }
            _ => frames
                .last_mut()
                .expect("continuation before first frame")
                .1
                .push_str(line),
        }
    }
    let mut result = BTreeMap::new();
    for (n, text) in frames {
        let Some(start) = text.find("options [") else {
            continue;
        };
        let body = &text[start + "options [".len()..];
        let mut depth = 0i32;
        let mut items = Vec::new();
        let mut current = String::new();
        for ch in body.chars() {
            match ch {
                '[' | '{' => depth += 1,
                ']' if depth == 0 => break,
                ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(ch);
        }
        items.push(current);
        let mptcp: Vec<String> = items
            .into_iter()
            .filter(|i| i.starts_with("mptcp"))
            .collect();
        if !mptcp.is_empty() {
            result.insert(n, mptcp);
        }
    }
    result
}

#[test]
fn every_public_capture_option_matches_tcpdump() {
    // tcpdump's own decoding (.out) comes with the shared public captures only.
    if support::skip_without_shared("every_public_capture_option_matches_tcpdump") {
        return;
    }
    let mut compared = 0;
    for path in support::captures_in("public") {
        let out_path = path.with_extension("out");
        let out = std::fs::read_to_string(&out_path)
            .unwrap_or_else(|e| panic!("{}: {e}", out_path.display()));
        let expected = tcpdump_options(&out);
        let mut ours = BTreeMap::new();
        for packet in support::read_frames(&path).into_iter().flatten() {
            let seg = TcpSegment::parse(&packet.tcp).unwrap();
            let ctx = seg.context();
            let mut printed = Vec::new();
            for raw in raw_options(seg.options) {
                let raw = raw.unwrap();
                if raw.kind != MPTCP_KIND {
                    continue;
                }
                match parse_mptcp_option(raw.bytes, &ctx) {
                    Ok((_, option)) => {
                        // emit(parse(b)) == b for every valid wire form.
                        let mut buf = [0u8; 64];
                        let n = option.emit(&mut buf).unwrap();
                        assert_eq!(
                            &buf[..n],
                            raw.bytes,
                            "{} frame {}: round trip",
                            path.display(),
                            packet.frame
                        );
                        printed.push(tcpdump_style(raw.bytes.len(), &option));
                    }
                    // tcpdump marks what it cannot decode "[bad opt]"; so must we refuse it.
                    Err(_) => printed.push(format!("mptcp {} bad", raw.bytes[1])),
                }
            }
            if !printed.is_empty() {
                ours.insert(packet.frame, printed);
            }
        }
        for (frame, theirs) in &expected {
            let mine = ours.get(frame).unwrap_or_else(|| {
                panic!("{} frame {frame}: no MPTCP option decoded", path.display())
            });
            let theirs: Vec<String> = theirs
                .iter()
                .map(|t| {
                    if t.contains("[bad opt]") {
                        format!("mptcp {} bad", t.split(' ').nth(1).unwrap())
                    } else {
                        t.clone()
                    }
                })
                .collect();
            assert_eq!(mine, &theirs, "{} frame {frame}", path.display());
            compared += theirs.len();
        }
        assert_eq!(
            ours.len(),
            expected.len(),
            "{}: frames with MPTCP options",
            path.display()
        );
    }
    // Guard against a parser of .out files that silently finds nothing.
    assert!(compared > 300, "only {compared} options compared");
}

#[test]
fn public_dsn_follows_from_the_key() {
    if support::skip_without_shared("public_dsn_follows_from_the_key") {
        return;
    }
    // mptcp-v1.pcap: the client's first mapping starts at IDSN(client key) + 1.
    let path = support::captures_dir().join("public/mptcp-v1.pcap");
    let frames = support::read_frames(&path);
    let dsn_of_frame = |n: usize| {
        let seg = TcpSegment::parse(&frames[n - 1].as_ref().unwrap().tcp).unwrap();
        seg.options().find_map(|o| match o.unwrap() {
            mptcp_parse::TcpOption::Mptcp(MptcpOption::Dss(d)) => d.mapping.map(|m| m.dsn),
            _ => None,
        })
    };
    let server_idsn = mptcp_parse::crypto::key_derived(
        mptcp_parse::crypto::Version::V1,
        mptcp_parse::crypto::Key(0x29a6c86981ad933c),
    )
    .idsn;
    assert_eq!(dsn_of_frame(7), Some(DataSeq::U64(server_idsn + 1)));
}
