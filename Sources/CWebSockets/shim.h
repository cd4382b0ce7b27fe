#include <libwebsockets.h>

// LWS_PRE is a macro expression Swift cannot import: the headroom lws_write needs before a
// WebSocket payload.
static inline size_t cws_lws_pre(void) {
    return LWS_PRE;
}
