//! A thin, exception-safe view of a place in Wireshark's tree: the segment's bytes, the tree to
//! add items to, the packet for expert items and columns. Every call goes through the C
//! shim, which catches Wireshark's exceptions.

use std::ffi::{c_int, CString};
use std::fmt::{self, Write};
use std::ops::RangeInclusive;
use std::ptr;

use crate::ffi;
use crate::fields::{Ei, Ett, Hf};

/// A tree item (null when the tree is not being built or the item could not be added).
#[derive(Clone, Copy)]
pub(crate) struct Item(*mut ffi::proto_item);

impl Item {
    /// Marks the item as generated (not on the wire).
    pub(crate) fn generated(self) -> Item {
        // SAFETY: the shim accepts null and items of the packet being dissected.
        unsafe { ffi::mptcpx_shim_item_set_generated(self.0) };
        self
    }
}

/// Text for Wireshark, NUL-terminated, on the stack: at most 255 bytes (longer text is cut
/// at a character boundary), NUL bytes written as spaces.
struct CText {
    buf: [u8; 256],
    len: usize,
}

impl CText {
    fn new() -> CText {
        CText {
            buf: [0; 256],
            len: 0,
        }
    }

    fn as_ptr(&self) -> *const std::ffi::c_char {
        self.buf.as_ptr().cast()
    }
}

impl fmt::Write for CText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let c = if c == '\0' { ' ' } else { c };
            let mut utf8 = [0u8; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            // Room for the terminating NUL.
            if self.len + bytes.len() >= self.buf.len() {
                return Err(fmt::Error);
            }
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
        Ok(())
    }
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// Where items go: the segment's tvb and the offset in it that items count from (an option's
/// kind byte; for the analysis, the segment's start), the packet, and the tree items are added
/// to.
pub(crate) struct TreeView {
    tvb: *mut ffi::tvbuff_t,
    base: c_int,
    /// The bytes the protocol item covers from `base` (-1: to the end of the tvb).
    span: c_int,
    pinfo: *mut ffi::packet_info,
    tree: *mut ffi::proto_tree,
    /// Who looks at the tree (`mptcpx_tree_flag` bits), the same for all its subtrees: handed
    /// over with the segment.
    flags: c_int,
}

impl TreeView {
    /// A view of the whole segment `tvb`, with the tree's flags (`mptcpx_tree_flag` bits).
    ///
    /// # Safety
    /// The pointers must be those Wireshark passed for the segment being dissected, valid for
    /// the lifetime of the value.
    pub(crate) unsafe fn with_flags(
        tvb: *mut ffi::tvbuff_t,
        pinfo: *mut ffi::packet_info,
        tree: *mut ffi::proto_tree,
        flags: c_int,
    ) -> TreeView {
        TreeView {
            tvb,
            base: 0,
            span: -1,
            pinfo,
            tree,
            flags: flags.max(0),
        }
    }

    /// A view of the `span` bytes at `base` of the same segment (an option), adding to `tree`.
    pub(crate) fn part(&self, base: usize, span: usize, tree: *mut ffi::proto_tree) -> TreeView {
        TreeView {
            tvb: self.tvb,
            base: off(base),
            span: off(span),
            pinfo: self.pinfo,
            tree,
            flags: self.flags,
        }
    }

    /// The offset in the segment of byte `start` of the view.
    fn at(&self, start: usize) -> c_int {
        self.base.saturating_add(off(start))
    }

    /// The tree items are added to.
    pub(crate) fn tree(&self) -> *mut ffi::proto_tree {
        self.tree
    }

    /// The segment's tvb.
    pub(crate) fn tvb(&self) -> *mut ffi::tvbuff_t {
        self.tvb
    }

    /// Whether the tree is displayed (every item is kept, with its text and place).
    fn shown(&self) -> bool {
        self.flags & ffi::MPTCPX_TREE_SHOWN as c_int != 0
    }

    /// Whether items keep their place: the tree is shown, or its protocol items are kept
    /// (protocol statistics). Elsewhere only a filter, column or output that names a field
    /// looks at its items, wherever they are.
    pub(crate) fn places_items(&self) -> bool {
        self.flags != 0
    }

    /// Whether anything will look at the protocol's items added here: the tree is shown, or a
    /// filter, column or field output names the protocol or one of its fields. Otherwise
    /// Wireshark fakes every item added, and only expert items and columns matter.
    pub(crate) fn wants_protocol(&self) -> bool {
        !self.tree.is_null() && (crate::fields::protocol_referenced() || self.flags != 0)
    }

    /// Whether an item of any of `fields` added here would be kept (see [`wants`](Self::wants)).
    pub(crate) fn wants_any(&self, fields: &[RangeInclusive<Hf>]) -> bool {
        !self.tree.is_null() && (self.shown() || fields.iter().any(Hf::any_referenced))
    }

    /// Whether an item of `hf` added here would be kept: the tree is shown, or a filter,
    /// column or field output names the field (proto_field_is_referenced, without a call).
    pub(crate) fn wants(&self, hf: Hf) -> bool {
        !self.tree.is_null() && (hf.referenced() || self.shown())
    }

    /// Adds the protocol item over the view's bytes (an option) and makes its subtree the
    /// current tree.
    pub(crate) fn add_protocol(&mut self, proto: i32, ett: Ett) -> Item {
        self.add_protocol_over(proto, self.span, ett)
    }

    /// The protocol item over the first `length` bytes (-1: all), its subtree made current.
    fn add_protocol_over(&mut self, proto: i32, length: c_int, ett: Ett) -> Item {
        let mut sub = ptr::null_mut();
        // SAFETY: pointers from Wireshark; the shim catches exceptions.
        let item = unsafe {
            ffi::mptcpx_shim_add_protocol(
                self.tree,
                proto,
                self.tvb,
                self.base,
                length,
                ett.id(),
                &mut sub,
            )
        };
        // `sub` is null if the subtree failed.
        self.tree = sub;
        Item(item)
    }

    /// The number of the frame being dissected (fault injection only).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn frame(&self) -> u32 {
        // SAFETY: accessor of the packet being dissected.
        unsafe { ffi::mptcpx_shim_frame_number(self.pinfo) }
    }

    /// The packet being dissected.
    pub(crate) fn pinfo(&self) -> *mut ffi::packet_info {
        self.pinfo
    }

    /// Another view of the same place.
    pub(crate) fn clone_view(&self) -> TreeView {
        TreeView {
            tvb: self.tvb,
            base: self.base,
            span: self.span,
            pinfo: self.pinfo,
            tree: self.tree,
            flags: self.flags,
        }
    }

    /// Adds the protocol item over no bytes (for what is computed, not read) and makes its
    /// subtree the current tree.
    pub(crate) fn add_protocol_at(&mut self, proto: i32, ett: Ett) -> Item {
        self.add_protocol_over(proto, 0, ett)
    }

    /// What Wireshark gives back for an item nobody needs (a tree not shown, and no filter,
    /// column or output naming the field): the parent, as its own proto_tree_add_* does.
    /// Asked first, it spares the call and its exception frame.
    fn fake(&self, hf: Hf) -> Option<Item> {
        (!self.wants(hf)).then_some(Item(self.tree.cast()))
    }

    /// A relative time of `ns` nanoseconds, over no bytes.
    pub(crate) fn relative_time(&self, hf: Hf, ns: i64) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        // SAFETY: pointers from Wireshark; the shim catches exceptions.
        Item(unsafe {
            ffi::mptcpx_shim_add_relative_time(self.tree, hf.id(), self.tvb, self.base, 0, ns)
        })
    }

    /// An address computed rather than read: over no bytes.
    pub(crate) fn address(&self, v4: Hf, v6: Hf, address: std::net::IpAddr) -> Item {
        if let Some(item) = self.fake(if address.is_ipv4() { v4 } else { v6 }) {
            return item;
        }
        // SAFETY: the shim reads 4 or 16 bytes from the given arrays.
        Item(unsafe {
            match address {
                std::net::IpAddr::V4(a) => ffi::mptcpx_shim_add_ipv4(
                    self.tree,
                    v4.id(),
                    self.tvb,
                    self.base,
                    0,
                    a.octets().as_ptr(),
                ),
                std::net::IpAddr::V6(a) => ffi::mptcpx_shim_add_ipv6(
                    self.tree,
                    v6.id(),
                    self.tvb,
                    self.base,
                    0,
                    a.octets().as_ptr(),
                ),
            }
        })
    }

    /// A view whose items go under `item`'s new subtree. In a tree that is not displayed
    /// nesting shows nowhere (filters and field output find items wherever they are): the
    /// items then go next to `item`, sparing a call and its exception frame.
    pub(crate) fn subtree(&self, item: Item, ett: Ett) -> TreeView {
        if !self.shown() {
            return self.clone_view();
        }
        // SAFETY: the shim accepts null items.
        let tree = unsafe { ffi::mptcpx_shim_add_subtree(item.0, ett.id()) };
        TreeView {
            tree,
            ..self.clone_view()
        }
    }

    /// An unsigned integer of up to 32 bits at `[start, start+len)`. For a field with a
    /// bitmask, `value` is the field's value; it is placed under the mask here.
    pub(crate) fn uint(&self, hf: Hf, start: usize, len: usize, value: u32) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        let raw = under_mask(hf, u64::from(value)) as u32;
        // SAFETY: pointers from Wireshark; the shim catches exceptions.
        Item(unsafe {
            ffi::mptcpx_shim_add_uint(self.tree, hf.id(), self.tvb, self.at(start), off(len), raw)
        })
    }

    pub(crate) fn uint64(&self, hf: Hf, start: usize, len: usize, value: u64) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        // SAFETY: as above.
        Item(unsafe {
            ffi::mptcpx_shim_add_uint64(
                self.tree,
                hf.id(),
                self.tvb,
                self.at(start),
                off(len),
                value,
            )
        })
    }

    pub(crate) fn boolean(&self, hf: Hf, start: usize, len: usize, value: bool) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        let raw = under_mask(hf, u64::from(value));
        // SAFETY: as above.
        Item(unsafe {
            ffi::mptcpx_shim_add_boolean(
                self.tree,
                hf.id(),
                self.tvb,
                self.at(start),
                off(len),
                raw,
            )
        })
    }

    pub(crate) fn ipv4(&self, hf: Hf, start: usize, octets: &[u8; 4]) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        // SAFETY: the shim reads 4 bytes.
        Item(unsafe {
            ffi::mptcpx_shim_add_ipv4(
                self.tree,
                hf.id(),
                self.tvb,
                self.at(start),
                4,
                octets.as_ptr(),
            )
        })
    }

    pub(crate) fn ipv6(&self, hf: Hf, start: usize, octets: &[u8; 16]) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        // SAFETY: the shim reads 16 bytes.
        Item(unsafe {
            ffi::mptcpx_shim_add_ipv6(
                self.tree,
                hf.id(),
                self.tvb,
                self.at(start),
                16,
                octets.as_ptr(),
            )
        })
    }

    /// Bytes shown as they are; `bytes.len()` is the highlighted length.
    pub(crate) fn bytes(&self, hf: Hf, start: usize, bytes: &[u8]) -> Item {
        if let Some(item) = self.fake(hf) {
            return item;
        }
        // SAFETY: the shim reads `bytes.len()` bytes.
        Item(unsafe {
            ffi::mptcpx_shim_add_bytes(
                self.tree,
                hf.id(),
                self.tvb,
                self.at(start),
                off(bytes.len()),
                bytes.as_ptr(),
            )
        })
    }

    /// Moves `item`, a child of this view's tree, right after `fixed`, another child (a
    /// displayed tree only: elsewhere order shows nowhere).
    pub(crate) fn move_after(&self, fixed: *mut ffi::proto_item, item: Item) {
        // SAFETY: the shim accepts nulls and checks both are children of the tree.
        unsafe { ffi::mptcpx_shim_move_item_after(self.tree, fixed, item.0) };
    }

    /// Appends to `item`'s text (an item of this view's tree). Formatted only when the tree is
    /// shown: most trees are built for filters and columns, and keep no text.
    pub(crate) fn append_text(&self, item: Item, text: fmt::Arguments<'_>) {
        if !self.shown() {
            return;
        }
        let mut buf = CText::new();
        let _ = buf.write_fmt(text);
        // SAFETY: the shim accepts null and items of the packet being dissected; it copies the
        // NUL-terminated text.
        unsafe { ffi::mptcpx_shim_item_append_text(item.0, buf.as_ptr()) };
    }

    /// An expert item on `item`, with `message` instead of the registered summary.
    pub(crate) fn expert(&self, item: Item, ei: Ei, message: Option<&str>) {
        let message = message.map(c_string);
        let message_ptr = message.as_ref().map_or(ptr::null(), |m| m.as_ptr());
        // SAFETY: pointers from Wireshark or static; the shim catches exceptions.
        unsafe { ffi::mptcpx_shim_expert(self.pinfo, item.0, ei.as_ptr(), message_ptr) };
    }

    /// Appends `text` to the Info column.
    pub(crate) fn info(&self, text: &str) {
        let text = c_string(text);
        // SAFETY: the shim copies the text.
        unsafe { ffi::mptcpx_shim_col_append_info(self.pinfo, text.as_ptr()) };
    }
}

/// An offset or length as Wireshark's `gint` (option offsets are below 256).
pub(crate) fn off(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// `value` shifted under the field's bitmask, as `proto_tree_add_uint`/`_boolean` expect.
fn under_mask(hf: Hf, value: u64) -> u64 {
    let mask = hf.mask();
    if mask == 0 {
        value
    } else {
        (value << mask.trailing_zeros()) & mask
    }
}

/// Shows a caught panic as `mptcpx.plugin_error` on a fresh MPTCPX item at `view`: over the
/// option's bytes when `over_bytes`, over none otherwise.
pub(crate) fn report_panic(
    view: &mut TreeView,
    over_bytes: bool,
    ett: Ett,
    what: &str,
    panic: Box<dyn std::any::Any + Send>,
) {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    report_error(
        view,
        over_bytes,
        ett,
        "internal error",
        &format!("{what}: {msg}"),
    );
}

/// Shows an error of the plugin's as `mptcpx.plugin_error` with `message` on a fresh MPTCPX
/// item at `view` whose text ends in `headline` (an expert item needs a tree item to be shown
/// and filtered on): over the option's bytes when `over_bytes`, over none otherwise.
/// Reporting must not panic across the C boundary either.
pub(crate) fn report_error(
    view: &mut TreeView,
    over_bytes: bool,
    ett: Ett,
    headline: &str,
    message: &str,
) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let proto = crate::fields::PROTO.load(std::sync::atomic::Ordering::Relaxed);
        let item = if over_bytes {
            view.add_protocol(proto, ett)
        } else {
            view.add_protocol_at(proto, ett).generated()
        };
        view.append_text(item, format_args!(": {headline}"));
        view.expert(item, Ei::PluginError, Some(message));
    }));
}
