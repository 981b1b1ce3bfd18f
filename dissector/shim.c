/*
 * shim.c: what the Rust side of the plugin must not do itself (see shim.h).
 *
 * - Wireshark's TRY/CATCH (setjmp/longjmp) around every call that can throw while a packet
 *   is dissected, including the call into the built-in MPTCP dissector;
 * - the HFILL/EXPFILL initialisers and other macros;
 * - API differences between Wireshark releases (gboolean vs bool preferences, ...).
 */
#include "shim.h"

#include <string.h>
#include <ws_version.h>
#include <epan/exceptions.h>
#include <epan/prefs.h>
#include <epan/column-utils.h>
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>

#define MPTCPX_WS_GE(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* dissector_try_uint_new was renamed in Wireshark 4.6 (the old name is deprecated). */
#if MPTCPX_WS_GE(4, 6)
#define mptcpx_try_uint dissector_try_uint_with_data
#else
#define mptcpx_try_uint dissector_try_uint_new
#endif

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
#if MPTCPX_WS_GE(4, 2)
static bool pref_verify_crypto = true;
static bool pref_analyze = true;
#else
static gboolean pref_verify_crypto = TRUE;
static gboolean pref_analyze = TRUE;
#endif

static void apply_analyze_pref(void);

void mptcpx_shim_register_prefs(int proto)
{
    module_t *module = prefs_register_protocol(proto, apply_analyze_pref);

    prefs_register_uint_preference(module, "fault_announce_subtype",
        "FAULT_ANNOUNCE subtype",
        "MPTCP subtype at which the FAULT_ANNOUNCE option "
        "(draft-kang-tcpm-fault-management-in-mptcp-session) is decoded. "
        "No value was ever assigned by IANA; 9 is the first unassigned one. "
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
        "checks). Off, the plugin only decodes MPTCP options: Wireshark then builds no "
        "protocol tree for it, which makes tshark's two-pass and filtered runs cheaper.",
        &pref_analyze);
}

unsigned mptcpx_shim_pref_fault_announce_subtype(void)
{
    return pref_fault_announce_subtype;
}

int mptcpx_shim_pref_verify_crypto(void)
{
    return pref_verify_crypto ? 1 : 0;
}

/* ---- The option dissector -------------------------------------------------------- */

static int mptcpx_proto = -1;
static mptcpx_option_cb option_cb;
/*
 * The built-in MPTCP dissector is kept in a private table of its own, so that it can be
 * called with dissector_try_uint_new(..., add_proto_name = FALSE): the protocol layer is
 * then counted once (by our handle, which carries the built-in's protocol), exactly as
 * without the plugin.
 */
static dissector_table_t builtin_table;

static char last_error[256] = "";

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

static void remember_error(const char *what, unsigned long code, const char *message)
{
    g_snprintf(last_error, sizeof last_error, "%s: %s%s%s", what, exception_name(code),
               message ? ": " : "", message ? message : "");
}

const char *mptcpx_shim_last_error(void)
{
    return last_error;
}

static void run_callback(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data,
                         int builtin_threw)
{
    const char *saved_proto = pinfo->current_proto;

    pinfo->current_proto = "MPTCPX";
    option_cb(tvb, pinfo, tree, data, builtin_threw);
    pinfo->current_proto = saved_proto;
}

/*
 * The tcp.stream of the last segment whose MPTCP option was dissected, from the TCP header the
 * TCP dissector passes to option dissectors: the analysis postdissector of the same frame
 * takes it from here rather than from the tree (a field it would have to ask for) or the
 * conversation table.
 */
static guint32 option_frame;
static int option_stream = -1;

static void remember_stream(packet_info *pinfo, void *data)
{
    const struct tcpheader *th = (const struct tcpheader *)data;

    option_frame = pinfo->num;
    option_stream = th != NULL ? (int)th->th_stream : -1;
}

static int dissect_mptcp_option(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                void *data)
{
    volatile int consumed = 0;

    remember_stream(pinfo, data);

    if (option_cb == NULL || !proto_is_protocol_enabled(find_protocol_by_id(mptcpx_proto))) {
        /* Our protocol is disabled: behave as the built-in dissector. */
        if (builtin_table != NULL)
            return mptcpx_try_uint(builtin_table, MPTCPX_TCPOPT_MPTCP, tvb, pinfo,
                                          tree, FALSE, data);
        return 0;
    }

    if (builtin_table != NULL) {
        TRY {
            consumed = mptcpx_try_uint(builtin_table, MPTCPX_TCPOPT_MPTCP, tvb, pinfo,
                                              tree, FALSE, data);
        }
        CATCH_ALL {
            /*
             * The built-in dissector threw (a malformed option, or one of its own
             * assertions, e.g. on captures that start mid-connection). Our subtree is
             * still added, then the exception goes on as it would without the plugin.
             * No Rust frame is on the stack when RETHROW longjmps.
             */
            run_callback(tvb, pinfo, tree, data, 1);
            RETHROW;
        }
        ENDTRY;
    }
    run_callback(tvb, pinfo, tree, data, 0);
    return consumed > 0 ? consumed : (int)tvb_captured_length(tvb);
}

int mptcpx_shim_handoff(int proto, mptcpx_option_cb cb)
{
    dissector_table_t tcp_options = find_dissector_table("tcp.option");
    dissector_handle_t builtin;
    dissector_handle_t ours;
    int handle_proto;

    mptcpx_proto = proto;
    option_cb = cb;
    if (tcp_options == NULL)
        return -1;

    builtin = dissector_get_uint_handle(tcp_options, MPTCPX_TCPOPT_MPTCP);
    handle_proto = builtin != NULL ? dissector_handle_get_protocol_index(builtin) : -1;
    if (builtin != NULL) {
        builtin_table = register_dissector_table("mptcpx.builtin",
            "Built-in MPTCP option dissector (called by MPTCPX)", proto, FT_UINT8, BASE_DEC);
        dissector_add_uint("mptcpx.builtin", MPTCPX_TCPOPT_MPTCP, builtin);
    }
    /*
     * Our handle carries the built-in dissector's protocol when there is one: the TCP
     * options summary keeps its name, the protocol layers stay those of Wireshark, and
     * disabling "MPTCP" behaves as before. Disabling MPTCPX leaves only the built-in
     * decoding.
     */
    ours = create_dissector_handle(dissect_mptcp_option, handle_proto >= 0 ? handle_proto : proto);
    dissector_add_uint("tcp.option", MPTCPX_TCPOPT_MPTCP, ours);
    return builtin != NULL ? 1 : 0;
}

/* ---- The analysis postdissector --------------------------------------------------- */

static mptcpx_segment_cb segment_cb;
static int hf_tcp = -1;
static int proto_icmp = -1;
static int proto_icmpv6 = -1;


/* Whether ICMP or ICMPv6 is among the frame's layers: a TCP header in an ICMP error. */
static int in_icmp_error(packet_info *pinfo)
{
    wmem_list_frame_t *layer;

    for (layer = wmem_list_head(pinfo->layers); layer != NULL; layer = wmem_list_frame_next(layer)) {
        int id = GPOINTER_TO_INT(wmem_list_frame_data(layer));

        if (id == proto_icmp || id == proto_icmpv6)
            return 1;
    }
    return 0;
}


static int proto_tcp = -1;
static dissector_handle_t analysis_handle;

/* The postdissector asks for the tcp item only while the analysis is on: a postdissector that
 * wants fields makes Wireshark build a protocol tree for every frame, even in the first pass
 * of tshark -2. */
static void apply_analyze_pref(void)
{
    GArray *wanted = NULL;

    if (analysis_handle == NULL || hf_tcp < 0)
        return;
    if (pref_analyze) {
        wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
        g_array_append_val(wanted, hf_tcp);
    }
    set_postdissector_wanted_hfids(analysis_handle, wanted);
}

/*
 * The tcp.stream of the segment being dissected again, from TCP's conversation data: the
 * conversation was found again by the TCP dissector of this pass, for this frame (a reused
 * port pair gives a conversation per connection, by frame number). -1 when not TCP.
 */
static int stream_of_conversation(packet_info *pinfo)
{
    conversation_t *conv;
    struct tcp_analysis *tcpd;

    if (proto_tcp < 0 || pinfo->ptype != PT_TCP)
        return -1;
    conv = find_conversation_pinfo(pinfo, 0);
    if (conv == NULL)
        return -1;
    tcpd = (struct tcp_analysis *)conversation_get_proto_data(conv, proto_tcp);
    return tcpd != NULL ? (int)tcpd->stream : -1;
}

/* The frame's tcp.stream: from its MPTCP option, else from TCP's conversation data. */
static int stream_of_segment(packet_info *pinfo)
{
    if (option_frame == pinfo->num && option_stream >= 0)
        return option_stream;
    return stream_of_conversation(pinfo);
}

/*
 * Option dissectors see only segments that carry an MPTCP option, and taps cannot add to
 * the tree; a postdissector that wants the "tcp" protocol item sees every segment with its
 * header: the item's data source is the segment, from the TCP header on.
 */
static int dissect_segment(tvbuff_t *tvb _U_, packet_info *pinfo, proto_tree *tree,
                           void *data _U_)
{
    GPtrArray *tcp;
    field_info *fi;
    const char *saved_proto;

    if (segment_cb == NULL || !pref_analyze || !proto_is_protocol_enabled(find_protocol_by_id(mptcpx_proto)))
        return 0;
    saved_proto = pinfo->current_proto;
    pinfo->current_proto = "MPTCPX";
    if (PINFO_FD_VISITED(pinfo)) {
        /*
         * Seen before: the analysis has the frame's findings, and needs no bytes, only the
         * stream for the connection. (tshark's second pass does not keep the fields a
         * postdissector wants, so tcp.stream is taken from TCP's conversation.)
         */
        segment_cb(NULL, 0, pinfo, tree, stream_of_segment(pinfo));
        pinfo->current_proto = saved_proto;
        return 0;
    }
    pinfo->current_proto = saved_proto;
    /* Without a tree (nothing asked for one) the fields cannot be found. */
    if (tree == NULL)
        return 0;
    tcp = proto_get_finfo_ptr_array(tree, hf_tcp);
    if (tcp == NULL || tcp->len == 0)
        return 0;
    /* A TCP header quoted in an ICMP error is not a segment of the connection. */
    if (in_icmp_error(pinfo))
        return 0;
    fi = (field_info *)g_ptr_array_index(tcp, 0);
    if (fi == NULL || fi->ds_tvb == NULL)
        return 0;
    saved_proto = pinfo->current_proto;
    pinfo->current_proto = "MPTCPX";
    segment_cb(fi->ds_tvb, fi->start, pinfo, tree, stream_of_segment(pinfo));
    pinfo->current_proto = saved_proto;
    return 0;
}

int mptcpx_shim_register_analysis(int proto, mptcpx_segment_cb cb, mptcpx_void_cb init_cb,
                                  mptcpx_void_cb cleanup_cb)
{
    hf_tcp = proto_registrar_get_id_byname("tcp");
    proto_tcp = proto_get_id_by_filter_name("tcp");
    proto_icmp = proto_get_id_by_filter_name("icmp");
    proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
    if (hf_tcp < 0 || proto_tcp < 0)
        return -1;
    segment_cb = cb;
    register_init_routine(init_cb);
    register_cleanup_routine(cleanup_cb);

    analysis_handle = create_dissector_handle(dissect_segment, proto);
    register_postdissector(analysis_handle);
    /* Only the TCP item: its stream comes with the option or from the conversation. */
    apply_analyze_pref();
    return 0;
}

/* ---- Per packet ------------------------------------------------------------------ */

/* Catches any exception of `TRY { ... }`, remembering it under `what`. */
#define MPTCPX_CATCH(what) \
    CATCH_ALL { remember_error((what), EXCEPT_CODE, GET_MESSAGE); } \
    ENDTRY

int mptcpx_shim_tvb_reported_length(tvbuff_t *tvb)
{
    return tvb != NULL ? (int)tvb_reported_length(tvb) : 0;
}

int mptcpx_shim_tvb_copy(tvbuff_t *tvb, uint8_t *buf, int max)
{
    volatile int n = 0;

    if (tvb == NULL || buf == NULL || max <= 0)
        return 0;
    TRY {
        int len = (int)tvb_captured_length(tvb);

        if (len > max)
            len = max;
        if (len > 0)
            tvb_memcpy(tvb, buf, 0, len);
        n = len;
    }
    MPTCPX_CATCH("copying the option bytes");
    return n;
}

int mptcpx_shim_tvb_remaining(tvbuff_t *tvb, int offset)
{
    volatile int n = 0;

    if (tvb == NULL || offset < 0)
        return 0;
    TRY {
        int len = (int)tvb_captured_length(tvb);

        n = offset < len ? len - offset : 0;
    }
    MPTCPX_CATCH("measuring the segment");
    return n;
}

int mptcpx_shim_tvb_copy_from(tvbuff_t *tvb, int offset, uint8_t *buf, int max)
{
    volatile int n = 0;

    if (tvb == NULL || buf == NULL || max <= 0 || offset < 0)
        return 0;
    TRY {
        int len = (int)tvb_captured_length(tvb) - offset;

        if (len > max)
            len = max;
        if (len > 0)
            tvb_memcpy(tvb, buf, offset, len);
        n = len > 0 ? len : 0;
    }
    MPTCPX_CATCH("copying the segment");
    return n;
}

static int ip_bytes_of(const address *a, uint8_t *out)
{
    if (a->type == AT_IPv4 && a->len == 4) {
        memcpy(out, a->data, 4);
        return 4;
    }
    if (a->type == AT_IPv6 && a->len == 16) {
        memcpy(out, a->data, 16);
        return 16;
    }
    return 0;
}

int mptcpx_shim_net_addresses(packet_info *pinfo, uint8_t *src, uint8_t *dst)
{
    int s = ip_bytes_of(&pinfo->net_src, src);
    int d = ip_bytes_of(&pinfo->net_dst, dst);

    return s == d ? s : 0;
}

int64_t mptcpx_shim_frame_time_ns(packet_info *pinfo)
{
    return (int64_t)pinfo->abs_ts.secs * 1000000000 + pinfo->abs_ts.nsecs;
}

int mptcpx_shim_frame_visited(packet_info *pinfo)
{
    return PINFO_FD_VISITED(pinfo) ? 1 : 0;
}

proto_item *mptcpx_shim_add_protocol(proto_tree *tree, int proto, tvbuff_t *tvb, int start,
                                     int length, int ett, proto_tree **subtree)
{
    proto_item *volatile item = NULL;
    proto_tree *volatile sub = NULL;

    TRY {
        item = proto_tree_add_item(tree, proto, tvb, start, length, ENC_NA);
        sub = proto_item_add_subtree(item, ett);
    }
    MPTCPX_CATCH("adding the protocol item");
    *subtree = sub;
    return item;
}

proto_tree *mptcpx_shim_add_subtree(proto_item *item, int ett)
{
    proto_tree *volatile sub = NULL;

    TRY {
        sub = proto_item_add_subtree(item, ett);
    }
    MPTCPX_CATCH("adding a subtree");
    return sub;
}

/* Body of the item adders: `call` runs inside TRY. */
#define MPTCPX_ADD(what, call) \
    proto_item *volatile item = NULL; \
    TRY { \
        item = (call); \
    } \
    MPTCPX_CATCH(what); \
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

int mptcpx_shim_tree_wants(proto_tree *tree, int proto)
{
    /* TRUE when the tree is shown, or a filter, column or field output names the protocol
     * or one of its fields (priming a field primes its protocol). */
    return tree != NULL && proto_field_is_referenced(tree, proto) ? 1 : 0;
}

int mptcpx_shim_field_wanted(proto_tree *tree, int hf)
{
    return tree != NULL && proto_field_is_referenced(tree, hf) ? 1 : 0;
}

int mptcpx_shim_item_visible(proto_item *item)
{
    /* A tree that is not shown (tshark without -V or -O) keeps no text: Wireshark fakes
     * items that no filter or column needs. */
    return item != NULL && PTREE_DATA(item) != NULL && PTREE_DATA(item)->visible ? 1 : 0;
}

void mptcpx_shim_item_append_text(proto_item *item, const char *text)
{
    if (item == NULL || text == NULL)
        return;
    TRY {
        proto_item_append_text(item, "%s", text);
    }
    MPTCPX_CATCH("appending text");
}

void mptcpx_shim_expert(packet_info *pinfo, proto_item *item, expert_field *ei,
                        const char *message)
{
    TRY {
        if (message != NULL)
            expert_add_info_format(pinfo, item, ei, "%s", message);
        else
            expert_add_info(pinfo, item, ei);
    }
    MPTCPX_CATCH("adding an expert item");
}

void mptcpx_shim_col_append_info(packet_info *pinfo, const char *text)
{
    if (text == NULL)
        return;
    TRY {
        col_append_sep_str(pinfo->cinfo, COL_INFO, " ", text);
    }
    MPTCPX_CATCH("writing the Info column");
}

uint32_t mptcpx_shim_frame_number(packet_info *pinfo)
{
    return pinfo->num;
}
