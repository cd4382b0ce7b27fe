#include <libwebsockets.h>

// LWS_PRE is a macro expression Swift cannot import: the headroom lws_write needs before a
// WebSocket payload.
static inline size_t cws_lws_pre(void) {
    return LWS_PRE;
}

// A libwebsockets timer with a user pointer: the scheduler hands its callback only the
// `lws_sorted_usec_list_t`, which is the first member here, so the callback can cast it back.
typedef struct cws_timer {
    lws_sorted_usec_list_t sul;
    void *user;
} cws_timer;
