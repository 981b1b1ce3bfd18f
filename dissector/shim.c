/*
 * shim.c: what the Rust side of the plugin must not do itself (see shim.h).
 *
 * - a catcher of Wireshark's exceptions (setjmp/longjmp) around every call that can throw
 *   while a packet is dissected, including the call into TCP (and through it the built-in
 *   MPTCP dissector);
 * - the HFILL/EXPFILL initialisers and other macros;
 * - API differences between Wireshark releases (gboolean vs bool preferences, ...).
 */
#include "shim.h"

#include <string.h>
#include <ws_version.h>
#include <epan/exceptions.h>
#include <epan/prefs.h>
#include <wsutil/report_message.h>
#include <epan/column-utils.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/ipproto.h>

#define MPTCPX_WS_GE(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* TCP option kind of Multipath TCP (RFC 8684). */
#define MPTCPX_TCPOPT_MPTCP 30

/* ---- Registration ---------------------------------------------------------------- */

void mptcpx_shim_fill_hf(hf_register_info *out, int *p_id, const char *name,
                         const char *abbrev, int type, int display, const void *strings,
                         uint64_t bitmask, const char *blurb)
{
    hf_register_info hf = {
        p_id, { name, abbrev, (enum ftenum)type, display, strings, bitmask, blurb, HFILL }
    };
    *out = hf;
}

void mptcpx_shim_fill_ei(ei_register_info *out, expert_field *ids, const char *name,
                         int group, int severity, const char *summary)
{
    ei_register_info ei = { ids, { name, group, severity, summary, EXPFILL } };
    *out = ei;
}

void mptcpx_shim_init_ei(expert_field *ei)
{
    expert_field init = EI_INIT;
    *ei = init;
}

static unsigned pref_fault_announce_subtype = 9;
/* The value in force: the last one set that FAULT_ANNOUNCE can take. */
static unsigned fault_announce_subtype_in_force = 9;
#if MPTCPX_WS_GE(4, 2)
static bool pref_verify_crypto = true;
static bool pref_analyze = true;
#else
static gboolean pref_verify_crypto = TRUE;
static gboolean pref_analyze = TRUE;
#endif

static bool fault_announce_subtype_usable(unsigned s)
{
    return s == 0 || (s >= 9 && s <= 15);
}

/* The FAULT_ANNOUNCE subtype to decode at: the preference, unless it cannot be chosen. */
static unsigned fault_announce_subtype(void)
{
    unsigned s = pref_fault_announce_subtype;
    return fault_announce_subtype_usable(s) ? s : fault_announce_subtype_in_force;
}

/* A FAULT_ANNOUNCE subtype that RFC 8684 assigns, or past the 4 bits, is refused aloud (a
 * dialog in Wireshark, a line on stderr in tshark) and the one in force kept. */
static void prefs_applied(void)
{
    unsigned s = pref_fault_announce_subtype;
    if (fault_announce_subtype_usable(s)) {
        fault_announce_subtype_in_force = s;
        return;
    }
    report_failure("mptcpx.fault_announce_subtype: %u cannot be chosen: %s. "
        "FAULT_ANNOUNCE stays %s%u; choose 9 to 15, or 0 to turn it off.",
        s, s <= 8 ? "RFC 8684 assigns subtypes 0 to 8" : "a subtype has 4 bits",
        fault_announce_subtype_in_force == 0 ? "off, " : "at ", fault_announce_subtype_in_force);
    pref_fault_announce_subtype = fault_announce_subtype_in_force;
}

void mptcpx_shim_register_prefs(int proto)
{
    module_t *module = prefs_register_protocol(proto, prefs_applied);

    prefs_register_uint_preference(module, "fault_announce_subtype",
        "FAULT_ANNOUNCE subtype",
        "MPTCP subtype at which the FAULT_ANNOUNCE option "
        "(draft-kang-tcpm-fault-management-in-mptcp-session) is decoded. "
        "No value was ever assigned by IANA: 9 to 14 are unassigned, 9 the first of them; "
        "15 is the private-use subtype (MP_EXPERIMENTAL), where FAULT_ANNOUNCE is decoded "
        "in its place when chosen. The subtypes RFC 8684 assigns (1 to 8) cannot be chosen. "
        "0 turns FAULT_ANNOUNCE decoding off (the option is then shown as an unknown subtype).",
        10, &pref_fault_announce_subtype);
    prefs_register_bool_preference(module, "verify_crypto",
        "Verify tokens, HMACs and DSS checksums",
        "Check MP_JOIN tokens and HMACs, ADD_ADDR HMACs and DSS checksums against the keys "
        "seen in the MP_CAPABLE handshake and the payload.",
        &pref_verify_crypto);
    prefs_register_bool_preference(module, "analyze",
        "Analyse MPTCP connections",
        "Follow every TCP segment to find what the analysis reports (fastclose and RST "
        "correlation, subflow faults, fallback and stripped options, HMAC and checksum "
        "checks). Off, the plugin only decodes MPTCP options.",
        &pref_analyze);
}

unsigned mptcpx_shim_pref_fault_announce_subtype(void)
{
    return fault_announce_subtype();
}

int mptcpx_shim_pref_verify_crypto(void)
{
    return pref_verify_crypto ? 1 : 0;
}

/* ---- The TCP wrapper ------------------------------------------------------------- */

/*
 * What every segment reads, together: a few cache lines rather than one per variable.
 */
static struct {
    /* Our protocol_t, to ask on every segment whether it is enabled. */
    protocol_t *protocol;
    mptcpx_segment_cb segment_cb;
    /* Non-zero when an item adder caught an exception during the segment's callback: its
     * message is in caught_message, for caught_cb. */
    int caught;
    mptcpx_caught_cb caught_cb;
    /*
     * The TCP dissector. Our handle in "ip.proto" has no protocol of its own: Wireshark then
     * adds no layer for it, and TCP's layer, its enabled state and its name in Decode As stay
     * TCP's.
     */
    dissector_handle_t tcp_handle;
    int proto_tcp;
    /* Where an option's subtree goes in a tree kept whole: TCP's options item and, in it,
     * the item of Wireshark's own MPTCP dissector (its protocol), -1 when not found. */
    int hf_tcp_options;
    int builtin_proto;
    /* TCP inside TCP in one frame (a tunnel): only the outermost segment is analysed. */
    int tcp_depth;
} hot = { .proto_tcp = -1, .hf_tcp_options = -1, .builtin_proto = -1 };

/* The exception caught last by an item adder: what the adder was doing, then the exception. */
static char caught_message[256] = "";

static const char *exception_name(unsigned long code)
{
    switch (code) {
    case BoundsError: return "BoundsError";
    case ContainedBoundsError: return "ContainedBoundsError";
    case ReportedBoundsError: return "ReportedBoundsError";
    case FragmentBoundsError: return "FragmentBoundsError";
    case TypeError: return "TypeError";
    case DissectorError: return "DissectorError";
    case ScsiBoundsError: return "ScsiBoundsError";
    case OutOfMemoryError: return "OutOfMemoryError";
    case ReassemblyError: return "ReassemblyError";
    default: return "exception";
    }
}

/*
 * The item adders below run `stmt` in TRY: an exception it throws is caught, remembered under
 * `what` (report_caught shows it once the segment's callback has returned), and the adder
 * returns what it has so far (its variables set in `stmt` are volatile for that).
 */
#define MPTCPX_GUARDED(what, stmt) \
    TRY { \
        stmt; \
    } \
    CATCH_ALL { \
        caught((what), EXCEPT_CODE, GET_MESSAGE); \
    } \
    ENDTRY

/* An exception caught by MPTCPX_GUARDED: what the adder was doing, then the exception. */
static void caught(const char *what, unsigned long code, const char *message)
{
    /* A DissectorError's message says what it is (the tree's limit: "Adding mptcpx.subtype
     * would put more than N items in the tree ..."); other exceptions are named. */
    if (code == DissectorError && message != NULL)
        g_snprintf(caught_message, sizeof caught_message, "%s: %s", what, message);
    else
        g_snprintf(caught_message, sizeof caught_message, "%s: %s%s%s", what,
                   exception_name(code), message ? ": " : "", message ? message : "");
    hot.caught = 1;
}

/*
 * The captured bytes of `tvb`, in place: a subset of the frame's buffer (a copy in packet
 * memory for a composite tvb). No TRY: at offset 0 with the captured length,
 * tvb_get_ptr cannot throw.
 */
static inline const uint8_t *captured_bytes(tvbuff_t *tvb, int *len)
{
    int n = tvb != NULL ? (int)tvb_captured_length(tvb) : 0;

    *len = n;
    return n > 0 ? tvb_get_ptr(tvb, 0, n) : NULL;
}

/* Who looks at `tree` (enum mptcpx_tree_flag, shim.h). */
static inline int tree_flags(proto_tree *tree)
{
    int flags = 0;

    if (tree == NULL || PTREE_DATA(tree) == NULL)
        return 0;
    if (PTREE_DATA(tree)->visible)
        flags |= MPTCPX_TREE_SHOWN;
    if (!PTREE_DATA(tree)->fake_protocols)
        flags |= MPTCPX_TREE_REAL_PROTOCOLS;
    return flags;
}

int mptcpx_shim_handoff(int proto)
{
    dissector_table_t tcp_options = find_dissector_table("tcp.option");
    dissector_handle_t builtin;

    hot.protocol = find_protocol_by_id(proto);
    if (tcp_options == NULL)
        return -1;
    /*
     * TCP calls Wireshark's own MPTCP dissector for kind 30 as it does without the plugin
     * (the entry stays its own); our subtree goes right after that dissector's item.
     */
    builtin = dissector_get_uint_handle(tcp_options, MPTCPX_TCPOPT_MPTCP);
    hot.builtin_proto = builtin != NULL ? dissector_handle_get_protocol_index(builtin) : -1;
    return builtin != NULL ? 1 : 0;
}

/* Whether `node` is an item of field or protocol `id` starting at `start` of `ds`. */
static int is_item_at(proto_node *node, int id, tvbuff_t *ds, int start)
{
    field_info *fi = PNODE_FINFO(node);

    return fi != NULL && fi->hfinfo != NULL && fi->hfinfo->id == id && fi->ds_tvb == ds &&
           fi->start == start;
}

/* Items start at absolute offsets of their data source (field_info's start and ds_tvb). */
proto_tree *mptcpx_shim_option_parent(proto_tree *tree, tvbuff_t *tvb, int offset,
                                      proto_item **after)
{
    proto_node *node, *tcp_item = NULL, *options = NULL;
    tvbuff_t *ds;
    int base;

    *after = NULL;
    if (tree == NULL || tvb == NULL)
        return tree;
    ds = tvb_get_ds_tvb(tvb);
    base = tvb_raw_offset(tvb);
    for (node = tree->first_child; node != NULL; node = node->next) {
        if (is_item_at(node, hot.proto_tcp, ds, base))
            tcp_item = node; /* the last: TCP's own, not one quoted before it */
    }
    if (tcp_item == NULL)
        return tree;
    for (node = tcp_item->first_child; node != NULL && options == NULL; node = node->next) {
        if (is_item_at(node, hot.hf_tcp_options, ds, base + 20))
            options = node;
    }
    if (options == NULL)
        return tcp_item;
    for (node = options->first_child; node != NULL; node = node->next) {
        if (is_item_at(node, hot.builtin_proto, ds, base + offset))
            *after = node;
    }
    return options;
}

/* Nothing to do at all: our protocol disabled. (Read on every segment: it may change.) */
static int plugin_off(void)
{
    return hot.segment_cb == NULL || !proto_is_protocol_enabled(hot.protocol);
}

/*
 * From TCP's conversation data: the TCP dissector has just found or created the conversation
 * for this frame (a reused port pair gives a conversation per connection, by frame number).
 */
int mptcpx_shim_stream_of_conversation(packet_info *pinfo)
{
    conversation_t *conv;
    struct tcp_analysis *tcpd;

    if (hot.proto_tcp < 0 || pinfo->ptype != PT_TCP)
        return -1;
    conv = find_conversation_pinfo(pinfo, 0);
    if (conv == NULL)
        return -1;
    tcpd = (struct tcp_analysis *)conversation_get_proto_data(conv, hot.proto_tcp);
    return tcpd != NULL ? (int)tcpd->stream : -1;
}

/*
 * Shows an exception an item adder caught during the segment's callback (the items it was
 * adding are missing; Wireshark reset its count of items before throwing, so the report
 * fits; exceptions caught while reporting are not reported again).
 */
static void report_caught(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int tree_flags)
{
    char message[sizeof caught_message];

    g_strlcpy(message, caught_message, sizeof message);
    hot.caught_cb(tvb, pinfo, tree, tree_flags, message);
    hot.caught = 0;
}

/* Hands the segment TCP has just dissected over, to be analysed when `outermost`. `b` and `n`
 * are its captured bytes. */
static void finish_segment(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                           const uint8_t *b, int n, int outermost)
{
    mptcpx_segment seg;
    const char *saved_proto;

    seg.bytes = b;
    seg.captured = n;
    seg.reported = tvb != NULL ? (int)tvb_reported_length(tvb) : 0;
    /* One tree per frame: the options' subtrees are in the same one. */
    seg.tree_flags = tree_flags(tree);
    seg.fault_announce_subtype = fault_announce_subtype();
    /* A TCP header quoted in an ICMP error is not a segment of the connection. */
    seg.analyse = outermost && pref_analyze && !pinfo->flags.in_error_pkt && b != NULL;
    seg.visited = PINFO_FD_VISITED(pinfo) ? 1 : 0;
    seg.frame = pinfo->num;
    seg.time_ns = (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
    seg.ptype = pinfo->ptype;
    seg.src = &pinfo->src;
    seg.dst = &pinfo->dst;
    seg.src_port = pinfo->srcport;
    seg.dst_port = pinfo->destport;
    saved_proto = pinfo->current_proto;
    pinfo->current_proto = "MPTCPX";
    hot.segment_cb(tvb, &seg, pinfo, tree);
    if (G_UNLIKELY(hot.caught))
        report_caught(tvb, pinfo, tree, seg.tree_flags);
    pinfo->current_proto = saved_proto;
}

/*
 * Every TCP segment, with its header and its place in the tree: taps cannot add to the tree,
 * TCP's heuristic dissectors see only payload, an option dissector only segments with
 * options, and a postdissector would have to ask for the tcp item, which makes Wireshark
 * build a tree for every frame. So our handle takes TCP's place in "ip.proto", calls TCP
 * (which calls Wireshark's own MPTCP dissector for each option, as without the plugin),
 * then hands the segment over, whatever TCP's own subdissectors did. A truncated or
 * malformed segment still counts (a RST is short), and its options are still shown; then the
 * exception goes on as it would without the plugin (ENDTRY rethrows it).
 */
static int dissect_tcp_segment(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    const uint8_t *bytes;
    int captured;
    int outermost;
    volatile int consumed = 0;

    if (G_UNLIKELY(plugin_off()))
        return call_dissector_only(hot.tcp_handle, tvb, pinfo, tree, data);
    outermost = hot.tcp_depth++ == 0;
    bytes = captured_bytes(tvb, &captured);
    TRY {
        consumed = call_dissector_only(hot.tcp_handle, tvb, pinfo, tree, data);
    }
    FINALLY {
        hot.tcp_depth--;
        finish_segment(tvb, pinfo, tree, bytes, captured, outermost);
    }
    ENDTRY;
    return consumed;
}

/* Called at handoff, once TCP is in "ip.proto". */
static int wrap_tcp(void)
{
    dissector_table_t ip_proto = find_dissector_table("ip.proto");

    hot.proto_tcp = proto_get_id_by_filter_name("tcp");
    hot.hf_tcp_options = proto_registrar_get_id_byname("tcp.options");
    if (ip_proto == NULL || hot.proto_tcp < 0)
        return -1;
    hot.tcp_handle = dissector_get_uint_handle(ip_proto, IP_PROTO_TCP);
    if (hot.tcp_handle == NULL)
        return -1;
    dissector_add_uint("ip.proto", IP_PROTO_TCP,
        create_dissector_handle_with_name_and_description(dissect_tcp_segment, -1,
            "mptcpx_tcp", "TCP, then the MPTCPX analysis"));
    return 0;
}

/* A file opened or closed: no segment under way. */
static void forget_file_state(void)
{
    hot.tcp_depth = 0;
}

int mptcpx_shim_register_analysis(mptcpx_segment_cb cb, mptcpx_caught_cb caught_cb,
                                  mptcpx_void_cb init_cb, mptcpx_void_cb cleanup_cb)
{
    hot.segment_cb = cb;
    hot.caught_cb = caught_cb;
    register_init_routine(forget_file_state);
    register_init_routine(init_cb);
    register_cleanup_routine(forget_file_state);
    register_cleanup_routine(cleanup_cb);
    return wrap_tcp();
}

/* ---- Per packet ------------------------------------------------------------------ */

proto_item *mptcpx_shim_add_protocol(proto_tree *tree, int proto, tvbuff_t *tvb, int start,
                                     int length, int ett, proto_tree **subtree)
{
    /* The item may be in the tree when its subtree is not. */
    proto_item *volatile item = NULL;
    proto_tree *volatile sub = NULL;

    MPTCPX_GUARDED("adding the protocol item", {
        item = proto_tree_add_item(tree, proto, tvb, start, length, ENC_NA);
        sub = proto_item_add_subtree(item, ett);
    });
    *subtree = sub;
    return item;
}

proto_tree *mptcpx_shim_add_subtree(proto_item *item, int ett)
{
    proto_tree *volatile sub = NULL;

    MPTCPX_GUARDED("adding a subtree", sub = proto_item_add_subtree(item, ett));
    return sub;
}

/* Body of the item adders: `call` runs guarded; NULL when it threw. */
#define MPTCPX_ADD(what, call) \
    proto_item *volatile item = NULL; \
    MPTCPX_GUARDED(what, item = (call)); \
    return item

proto_item *mptcpx_shim_add_uint(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, uint32_t value)
{
    MPTCPX_ADD("adding an integer", proto_tree_add_uint(tree, hf, tvb, start, length, value));
}

proto_item *mptcpx_shim_add_uint64(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                   int length, uint64_t value)
{
    MPTCPX_ADD("adding a 64-bit integer",
               proto_tree_add_uint64(tree, hf, tvb, start, length, value));
}

proto_item *mptcpx_shim_add_boolean(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                    int length, uint64_t value)
{
    /* 4.0 takes a guint32, later releases a uint64_t: our bitmasks fit in 32 bits. */
#if MPTCPX_WS_GE(4, 2)
    MPTCPX_ADD("adding a boolean", proto_tree_add_boolean(tree, hf, tvb, start, length, value));
#else
    MPTCPX_ADD("adding a boolean",
               proto_tree_add_boolean(tree, hf, tvb, start, length, (guint32)value));
#endif
}

proto_item *mptcpx_shim_add_ipv4(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, const uint8_t *addr)
{
    ws_in4_addr v4;

    memcpy(&v4, addr, sizeof v4); /* stays in network order, as Wireshark wants it */
    {
        MPTCPX_ADD("adding an IPv4 address",
                   proto_tree_add_ipv4(tree, hf, tvb, start, length, v4));
    }
}

proto_item *mptcpx_shim_add_ipv6(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, const uint8_t *addr)
{
    ws_in6_addr v6;

    memcpy(&v6, addr, sizeof v6);
    {
        MPTCPX_ADD("adding an IPv6 address",
                   proto_tree_add_ipv6(tree, hf, tvb, start, length, &v6));
    }
}

proto_item *mptcpx_shim_add_bytes(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                  int length, const uint8_t *bytes)
{
    MPTCPX_ADD("adding bytes", proto_tree_add_bytes(tree, hf, tvb, start, length, bytes));
}

proto_item *mptcpx_shim_add_relative_time(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                          int length, int64_t ns)
{
    nstime_t t;

    t.secs = (time_t)(ns / 1000000000);
    t.nsecs = (int)(ns % 1000000000);
    {
        MPTCPX_ADD("adding a time", proto_tree_add_time(tree, hf, tvb, start, length, &t));
    }
}

void mptcpx_shim_item_set_generated(proto_item *item)
{
    if (item != NULL)
        proto_item_set_generated(item);
}

const header_field_info *mptcpx_shim_hfinfo(int id)
{
    return id >= 0 ? proto_registrar_get_nth((guint)id) : NULL;
}

void mptcpx_shim_item_append_text(proto_item *item, const char *text)
{
    if (item == NULL || text == NULL)
        return;
    MPTCPX_GUARDED("appending text", proto_item_append_text(item, "%s", text));
}

void mptcpx_shim_move_item_after(proto_tree *tree, proto_item *fixed, proto_item *item)
{
    if (tree == NULL || fixed == NULL || item == NULL || fixed == item)
        return;
    MPTCPX_GUARDED("placing an item", proto_tree_move_item(tree, fixed, item));
}

void mptcpx_shim_expert(packet_info *pinfo, proto_item *item, expert_field *ei,
                        const char *message)
{
    MPTCPX_GUARDED("adding an expert item", {
        if (message != NULL)
            expert_add_info_format(pinfo, item, ei, "%s", message);
        else
            expert_add_info(pinfo, item, ei);
    });
}

void mptcpx_shim_col_append_info(packet_info *pinfo, const char *text)
{
    if (text == NULL)
        return;
    MPTCPX_GUARDED("writing the Info column", col_append_sep_str(pinfo->cinfo, COL_INFO, " ", text));
}

uint32_t mptcpx_shim_frame_number(packet_info *pinfo)
{
    return pinfo->num;
}
