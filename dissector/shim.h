/*
 * shim.h: the C side of the plugin's FFI seam.
 *
 * Wireshark reports errors by throwing exceptions implemented with setjmp/longjmp
 * (epan/exceptions.h). A longjmp across Rust frames is undefined behaviour, so every call
 * into Wireshark that can throw while a packet is dissected goes through a function of this
 * file, which runs it inside TRY/CATCH and reports failure by its return value. Functions
 * and macros whose signature or existence differs between Wireshark releases are wrapped
 * here too, so that the Rust side sees one API.
 *
 * Rust never calls a function of this file while an exception is propagating, and no
 * function of this file lets an exception escape into Rust.
 */
#ifndef MPTCPX_SHIM_H
#define MPTCPX_SHIM_H

#include <stdint.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/expert.h>

/*
 * One TCP segment once TCP has dissected it, and what the callback needs to know about the
 * packet, read from it in one go so that the callback asks Wireshark nothing more in the
 * common case.
 */
typedef struct mptcpx_segment {
    const uint8_t *bytes;    /* header, options, captured payload: part of the frame's buffer,
                                valid during the call; NULL when none was captured */
    int captured;            /* how many bytes */
    int reported;            /* the segment's length on the wire, header included */
    int tree_flags;          /* who looks at the frame's tree (enum mptcpx_tree_flag below) */
    unsigned fault_announce_subtype; /* the preference's value */
    int analyse;             /* 0: only show the options (the analysis off, a TCP header quoted
                                in an ICMP error, a segment inside another, nothing captured) */
    int visited;             /* dissected before (second pass, a GUI click) */
    uint32_t frame;          /* frame number */
    int64_t time_ns;         /* capture time, nanoseconds since the epoch */
    port_type ptype;         /* the packet's port type: PT_TCP once TCP has set the ports */
    const address *src;      /* the packet's addresses (Wireshark's, valid during the call) */
    const address *dst;
    uint32_t src_port;       /* and ports */
    uint32_t dst_port;
} mptcpx_segment;

/*
 * Called after the TCP dissector for every segment described above; `tvb` is TCP's, from
 * the header on. Implemented in Rust; it must not unwind.
 */
typedef void (*mptcpx_segment_cb)(tvbuff_t *tvb, const mptcpx_segment *segment,
                                  packet_info *pinfo, proto_tree *tree);

/*
 * Called after mptcpx_segment_cb when an item adder below caught an exception of
 * Wireshark's during it (the tree's limit of items, say): `message` says what the adder was
 * doing and what was thrown. Implemented in Rust; it must not unwind.
 */
typedef void (*mptcpx_caught_cb)(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                 int tree_flags, const char *message);

/* A callback without arguments (capture file opened or closed). */
typedef void (*mptcpx_void_cb)(void);

/* ---- Registration ---------------------------------------------------------------- */

/* Fills one hf_register_info (the HFILL part stays in C). */
void mptcpx_shim_fill_hf(hf_register_info *out, int *p_id, const char *name,
                         const char *abbrev, int type, int display, const void *strings,
                         uint64_t bitmask, const char *blurb);

/* Fills one ei_register_info (the EXPFILL part stays in C). */
void mptcpx_shim_fill_ei(ei_register_info *out, expert_field *ids, const char *name,
                         int group, int severity, const char *summary);

/* Resets an expert_field to EI_INIT. */
void mptcpx_shim_init_ei(expert_field *ei);

/* Registers the protocol's preferences; their storage lives in the shim. */
void mptcpx_shim_register_prefs(int proto);

/* Current preference values. */
unsigned mptcpx_shim_pref_fault_announce_subtype(void);
int mptcpx_shim_pref_verify_crypto(void);

/*
 * Finds Wireshark's own MPTCP dissector for TCP option kind 30, which TCP goes on calling
 * (the plugin's subtree of an option goes right after its item). Returns 1 when found, 0 when
 * not (the subtree then goes at the end of TCP's options), -1 when the "tcp.option" table does
 * not exist.
 */
int mptcpx_shim_handoff(int proto);

/*
 * Registers the plugin's handle, which takes TCP's place in "ip.proto", calls the TCP
 * dissector, then `segment_cb` for the segment (and `caught_cb` after it when an item could not
 * be added); `init_cb` and `cleanup_cb` run when a capture file is opened and closed. Call at
 * handoff. Returns 0, or -1 when TCP is not found there.
 */
int mptcpx_shim_register_analysis(mptcpx_segment_cb segment_cb, mptcpx_caught_cb caught_cb,
                                  mptcpx_void_cb init_cb, mptcpx_void_cb cleanup_cb);

/* ---- Per packet: all exception-safe ----------------------------------------------- */

/* The functions below that add to the tree or the columns catch Wireshark's exceptions; one
 * caught during mptcpx_segment_cb is handed to mptcpx_caught_cb after it. */

/* The tcp.stream of the segment being dissected, from TCP's conversation; -1 when unknown.
 * About a thousand instructions. */
int mptcpx_shim_stream_of_conversation(packet_info *pinfo);

/* A relative time item of `ns` nanoseconds. */
proto_item *mptcpx_shim_add_relative_time(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                          int length, int64_t ns);

/* Adds the protocol item and its subtree; returns the item or NULL. `*subtree` receives the
 * subtree (NULL when the tree is not being built). */
proto_item *mptcpx_shim_add_protocol(proto_tree *tree, int proto, tvbuff_t *tvb, int start,
                                     int length, int ett, proto_tree **subtree);

proto_tree *mptcpx_shim_add_subtree(proto_item *item, int ett);

proto_item *mptcpx_shim_add_uint(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, uint32_t value);
proto_item *mptcpx_shim_add_uint64(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                   int length, uint64_t value);
proto_item *mptcpx_shim_add_boolean(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                    int length, uint64_t value);
/* `addr` points to 4 bytes in network order. */
proto_item *mptcpx_shim_add_ipv4(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, const uint8_t *addr);
/* `addr` points to 16 bytes. */
proto_item *mptcpx_shim_add_ipv6(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                 int length, const uint8_t *addr);
proto_item *mptcpx_shim_add_bytes(proto_tree *tree, int hf, tvbuff_t *tvb, int start,
                                  int length, const uint8_t *bytes);

void mptcpx_shim_item_set_generated(proto_item *item);
/*
 * Who looks at `tree` (0 for NULL): MPTCPX_TREE_SHOWN when it is displayed (tshark -V or -O,
 * the GUI's packet details), so that every item is kept; MPTCPX_TREE_REAL_PROTOCOLS when
 * protocol items are kept even if no filter names them. Otherwise Wireshark keeps only the
 * items of fields that a filter, column or field output references (header_field_info's
 * ref_type), and fakes the others.
 */
enum mptcpx_tree_flag {
    MPTCPX_TREE_SHOWN = 1,
    MPTCPX_TREE_REAL_PROTOCOLS = 2
};
/* The registered field or protocol `id` (Wireshark keeps it until exit). */
const header_field_info *mptcpx_shim_hfinfo(int id);
void mptcpx_shim_item_append_text(proto_item *item, const char *text);

/*
 * Where the subtree of the MPTCP option at `offset` of the segment `tvb` goes, in `tree`, the
 * tree TCP was given: TCP's options item, with `*after` set to the item of Wireshark's own
 * dissector for that option (ours goes right after it); TCP's item or `tree` itself when not
 * found, `*after` then NULL. Walks the tree: for trees whose items are kept.
 */
proto_tree *mptcpx_shim_option_parent(proto_tree *tree, tvbuff_t *tvb, int offset,
                                      proto_item **after);

/* Moves `item` (a child of `tree`) right after `fixed` (another), in a displayed tree. */
void mptcpx_shim_move_item_after(proto_tree *tree, proto_item *fixed, proto_item *item);

/* Adds an expert item; `message` NULL uses the registered summary. */
void mptcpx_shim_expert(packet_info *pinfo, proto_item *item, expert_field *ei,
                        const char *message);

/* Appends `text` to the Info column, separated by a space. */
void mptcpx_shim_col_append_info(packet_info *pinfo, const char *text);

/* Frame number of the packet being dissected. */
uint32_t mptcpx_shim_frame_number(packet_info *pinfo);

#endif /* MPTCPX_SHIM_H */
