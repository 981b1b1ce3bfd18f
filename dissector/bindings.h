/*
 * bindings.h: the Wireshark headers that build.rs hands to bindgen.
 * build.rs allowlists the few types, constants and functions the plugin uses.
 */
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/tvbuff.h>
#include <epan/column-utils.h>
/* value_string.h moved from epan/ to wsutil/ in Wireshark 4.6. */
#if __has_include(<epan/value_string.h>)
#include <epan/value_string.h>
#else
#include <wsutil/value_string.h>
#endif
/* Wireshark 4.4+ installs it (WS_PLUGIN_DESC_*); 4.0 does not. */
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#endif

#include "shim.h"
