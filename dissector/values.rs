//! The decoded values of one MPTCP option as tree items, at the byte offsets of the wire
//! format: one function per option family.

use std::net::IpAddr;

use mptcp_parse::{
    AddAddr, AddAddrVersion, CapableForm, Dss, FaultAnnounce, JoinForm, MpCapable, MpJoin,
    MptcpOption, Opaque,
};

use crate::fields::{Ett, Hf};
use crate::tree::{Item, TreeView};

pub(crate) fn show_decoded(view: &TreeView, top: Item, option: &MptcpOption<'_>) {
    match option {
        MptcpOption::MpCapable(o) => show_capable(view, top, o),
        MptcpOption::MpJoin(o) => show_join(view, top, o),
        MptcpOption::Dss(o) => show_dss(view, o),
        MptcpOption::AddAddr(o) => show_add_addr(view, top, o),
        MptcpOption::RemoveAddr(o) => {
            reserved(view, 2, 1, u16::from(o.reserved));
            for (i, id) in o.address_ids.iter().enumerate() {
                view.uint(Hf::RemoveAddrId, 3 + i, 1, u32::from(*id));
            }
        }
        MptcpOption::MpPrio(o) => {
            view.boolean(Hf::PrioBackup, 2, 1, o.backup);
            reserved(view, 2, 1, u16::from(o.reserved));
            if let Some(id) = o.address_id {
                view.uint(Hf::PrioAddrId, 3, 1, u32::from(id));
            }
            view.append_text(
                top,
                format_args!("{}", if o.backup { " (backup)" } else { " (regular)" }),
            );
        }
        MptcpOption::MpFail(o) => {
            reserved(view, 2, 2, o.reserved);
            view.uint64(Hf::FailDsn, 4, 8, o.dsn);
            view.info(&format!("[MP_FAIL DSN={}]", o.dsn));
        }
        MptcpOption::MpFastclose(o) => {
            reserved(view, 2, 2, o.reserved);
            view.uint64(Hf::FastcloseKey, 4, 8, o.receiver_key);
            view.info("[MP_FASTCLOSE]");
        }
        MptcpOption::MpTcpRst(o) => {
            let flags = view.uint(
                Hf::RstFlags,
                2,
                1,
                u32::from(o.reserved | u8::from(o.transient)),
            );
            let sub = view.subtree(flags, Ett::RstFlags);
            sub.boolean(Hf::RstTransient, 2, 1, o.transient);
            reserved(&sub, 2, 1, u16::from(o.reserved));
            view.uint(Hf::RstReason, 3, 1, u32::from(o.reason.0));
            let transient = if o.transient { ", transient" } else { "" };
            view.append_text(top, format_args!(": {}{transient}", o.reason));
            view.info(&format!("[MP_TCPRST: {}{transient}]", o.reason));
        }
        MptcpOption::FaultAnnounce(o) => show_fault(view, top, o),
        MptcpOption::MpExperimental(o) | MptcpOption::Unknown(o) => show_opaque(view, o),
    }
}

/// Reserved bits, shown only when set (a `mptcpx.reserved_set` item then says which).
fn reserved(view: &TreeView, start: usize, len: usize, value: u16) {
    if value != 0 {
        view.uint(Hf::Reserved, start, len, u32::from(value));
    }
}

fn show_capable(view: &TreeView, top: Item, o: &MpCapable<'_>) {
    view.uint(Hf::CapVersion, 2, 1, u32::from(o.version));
    let flags = view.uint(Hf::CapFlags, 3, 1, u32::from(o.flags.0));
    let sub = view.subtree(flags, Ett::CapableFlags);
    sub.boolean(Hf::CapFlagChecksum, 3, 1, o.flags.checksum_required());
    sub.boolean(Hf::CapFlagExtensibility, 3, 1, o.flags.extensibility());
    sub.boolean(Hf::CapFlagDenyJoinId0, 3, 1, o.flags.deny_join_id0());
    let unassigned_mask = Hf::CapFlagUnassigned.mask() as u8;
    sub.uint(
        Hf::CapFlagUnassigned,
        3,
        1,
        u32::from((o.flags.0 & unassigned_mask) >> unassigned_mask.trailing_zeros()),
    );
    sub.boolean(Hf::CapFlagHmac, 3, 1, o.flags.hmac());
    match o.form {
        CapableForm::Bare => {}
        CapableForm::SenderKey { key } => {
            view.uint64(Hf::CapSenderKey, 4, 8, key);
        }
        CapableForm::BothKeys {
            sender_key,
            receiver_key,
        } => {
            view.uint64(Hf::CapSenderKey, 4, 8, sender_key);
            view.uint64(Hf::CapReceiverKey, 12, 8, receiver_key);
        }
        CapableForm::BothKeysData {
            sender_key,
            receiver_key,
            data_len,
            checksum,
        } => {
            view.uint64(Hf::CapSenderKey, 4, 8, sender_key);
            view.uint64(Hf::CapReceiverKey, 12, 8, receiver_key);
            view.uint(Hf::CapDataLen, 20, 2, u32::from(data_len));
            if let Some(c) = checksum {
                view.uint(Hf::CapChecksum, 22, 2, u32::from(c));
            }
        }
        CapableForm::Opaque(body) => {
            view.bytes(Hf::CapData, 4, body);
        }
    }
    view.append_text(top, format_args!(" v{} ({})", o.version, o.step()));
}

fn show_join(view: &TreeView, top: Item, o: &MpJoin<'_>) {
    match o.form {
        JoinForm::Syn {
            address_id,
            receiver_token,
            sender_nonce,
        } => {
            view.boolean(Hf::JoinBackup, 2, 1, o.backup);
            reserved(view, 2, 1, u16::from(o.reserved));
            view.uint(Hf::JoinAddrId, 3, 1, u32::from(address_id));
            view.uint(Hf::JoinToken, 4, 4, receiver_token);
            view.uint(Hf::JoinNonce, 8, 4, sender_nonce);
            view.append_text(top, format_args!(" (SYN)"));
        }
        JoinForm::SynAck {
            address_id,
            truncated_hmac,
            sender_nonce,
        } => {
            view.boolean(Hf::JoinBackup, 2, 1, o.backup);
            reserved(view, 2, 1, u16::from(o.reserved));
            view.uint(Hf::JoinAddrId, 3, 1, u32::from(address_id));
            view.uint64(Hf::JoinTruncatedHmac, 4, 8, truncated_hmac);
            view.uint(Hf::JoinNonce, 12, 4, sender_nonce);
            view.append_text(top, format_args!(" (SYN/ACK)"));
        }
        JoinForm::Ack {
            reserved: byte3,
            hmac,
        } => {
            // The nibble and byte 3 are both reserved in the third ACK.
            reserved(view, 2, 2, u16::from(o.reserved) << 8 | u16::from(byte3));
            view.bytes(Hf::JoinHmac, 4, hmac);
            view.append_text(top, format_args!(" (ACK)"));
        }
    }
}

fn show_dss(view: &TreeView, o: &Dss) {
    use mptcp_parse::dss::flags as f;
    reserved(view, 2, 1, u16::from(o.reserved));
    let bits = o.flags();
    let flags = view.uint(Hf::DssFlags, 3, 1, u32::from(bits));
    let sub = view.subtree(flags, Ett::DssFlags);
    sub.uint(
        Hf::DssFlagReserved,
        3,
        1,
        u32::from((bits & f::RESERVED) >> f::RESERVED.trailing_zeros()),
    );
    sub.boolean(Hf::DssFlagDataFin, 3, 1, bits & f::DATA_FIN != 0);
    sub.boolean(Hf::DssFlagDsn8, 3, 1, bits & f::DSN_64 != 0);
    sub.boolean(Hf::DssFlagMapping, 3, 1, bits & f::MAPPING != 0);
    sub.boolean(Hf::DssFlagAck8, 3, 1, bits & f::ACK_64 != 0);
    sub.boolean(Hf::DssFlagAck, 3, 1, bits & f::DATA_ACK != 0);

    let mut at = 4;
    if let Some(ack) = o.data_ack {
        view.uint64(Hf::DssAck, at, ack.wire_len(), ack.raw());
        at += ack.wire_len();
    }
    if let Some(m) = o.mapping {
        view.uint64(Hf::DssDsn, at, m.dsn.wire_len(), m.dsn.raw());
        at += m.dsn.wire_len();
        view.uint(Hf::DssSsn, at, 4, m.ssn);
        at += 4;
        view.uint(Hf::DssDataLen, at, 2, u32::from(m.data_len));
        if m.is_infinite() {
            view.boolean(Hf::DssInfiniteMapping, at, 2, true)
                .generated();
        }
        at += 2;
        if let Some(c) = m.checksum {
            view.uint(Hf::DssChecksum, at, 2, u32::from(c));
        }
    }
}

fn show_add_addr(view: &TreeView, top: Item, o: &AddAddr) {
    match o.version {
        AddAddrVersion::V0 => {
            view.uint(
                Hf::AddAddrIpVer,
                2,
                1,
                if o.address.is_ipv4() { 4 } else { 6 },
            );
        }
        AddAddrVersion::V1 {
            echo,
            reserved: bits,
        } => {
            view.boolean(Hf::AddAddrEcho, 2, 1, echo);
            reserved(view, 2, 1, u16::from(bits));
        }
    }
    view.uint(Hf::AddAddrId, 3, 1, u32::from(o.address_id));
    let mut at = 4;
    match o.address {
        IpAddr::V4(a) => {
            view.ipv4(Hf::AddAddrIpv4, at, &a.octets());
            at += 4;
        }
        IpAddr::V6(a) => {
            view.ipv6(Hf::AddAddrIpv6, at, &a.octets());
            at += 16;
        }
    }
    if let Some(port) = o.port {
        view.uint(Hf::AddAddrPort, at, 2, u32::from(port));
        at += 2;
    }
    if let Some(hmac) = o.truncated_hmac {
        view.uint64(Hf::AddAddrHmac, at, 8, hmac);
    }
    let port = o.port.map(|p| format!(" port {p}")).unwrap_or_default();
    let echo = if o.is_echo() { " (echo)" } else { "" };
    view.append_text(
        top,
        format_args!(" id {} {}{port}{echo}", o.address_id, o.address),
    );
}

fn show_fault(view: &TreeView, top: Item, o: &FaultAnnounce<'_>) {
    use mptcp_parse::fault::flags as f;
    let bits = o.flags();
    let flags = view.uint(Hf::FaultFlags, 2, 1, u32::from(bits));
    let sub = view.subtree(flags, Ett::FaultFlags);
    sub.boolean(Hf::FaultFlagAddress, 2, 1, bits & f::ADDRESS != 0);
    sub.boolean(Hf::FaultFlagIpv6, 2, 1, bits & f::IPV6 != 0);
    sub.boolean(Hf::FaultTransient, 2, 1, o.transient);
    sub.boolean(Hf::FaultFlagReserved, 2, 1, o.reserved);
    view.uint(Hf::FaultCause, 3, 1, u32::from(o.cause.0));
    view.uint(Hf::FaultDstAddrId, 4, 1, u32::from(o.dst_addr_id));
    view.uint(Hf::FaultSrcAddrId, 5, 1, u32::from(o.src_addr_id));
    let mut at = 6;
    match o.middlebox {
        Some(IpAddr::V4(a)) => {
            view.ipv4(Hf::FaultMiddleboxIpv4, at, &a.octets());
            at += 4;
        }
        Some(IpAddr::V6(a)) => {
            view.ipv6(Hf::FaultMiddleboxIpv6, at, &a.octets());
            at += 16;
        }
        None => {}
    }
    if !o.padding.is_empty() {
        view.bytes(Hf::FaultPadding, at, o.padding);
    }
    let transient = if o.transient { ", transient" } else { "" };
    view.append_text(top, format_args!(": {}{transient}", o.cause));
    view.info(&format!("[FAULT_ANNOUNCE: {}{transient}]", o.cause));
}

fn show_opaque(view: &TreeView, o: &Opaque<'_>) {
    view.uint(Hf::OpaqueBits, 2, 1, u32::from(o.nibble));
    if !o.body.is_empty() {
        view.bytes(Hf::OpaqueData, 3, o.body);
    }
}
