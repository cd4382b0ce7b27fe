// request_screen.c: see include/request_screen.h.
#include "request_screen.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void request_screen_init(request_screen *screen, uint64_t max_body) {
    memset(screen, 0, sizeof *screen);
    screen->phase = REQUEST_SCREEN_METHOD;
    screen->max_body = max_body;
}

/// Ready for the next request on the connection.
static void next_request(request_screen *s) {
    uint64_t max_body = s->max_body, fed = s->fed;
    uint32_t requests = s->requests;
    request_screen_init(s, max_body);
    s->requests = requests;
    s->fed = fed;
    s->request_start = fed;
}

static int refuse(request_screen *s, int status, const char *message) {
    s->status = (uint16_t)status;
    s->message = message;
    s->phase = REQUEST_SCREEN_DONE;
    return status;
}

/// Stops screening without a verdict (the connection leaves HTTP, or its framing is not ours to judge).
static int stop(request_screen *s) {
    s->phase = REQUEST_SCREEN_DONE;
    return 0;
}

static int is_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int hex_value(uint8_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

/// The verdict on a whole method token: 0 (served), 405 or 501.
static int judge_method(request_screen *s) {
    static const char *const served[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    s->method[s->method_length] = 0;
    for (size_t i = 0; i < sizeof served / sizeof *served; i++) {
        if (strcmp(s->method, served[i]) == 0) return 0;
    }
    if (strcmp(s->method, "PRI") == 0) return refuse(s, 505, "HTTP/2 is not supported: use HTTP/1.1");
    if (strcmp(s->method, "CONNECT") == 0) return refuse(s, 405, "CONNECT is not allowed: this is not a proxy");
    if (strcmp(s->method, "TRACE") == 0) return refuse(s, 405, "TRACE is not allowed");
    return refuse(s, 501, "unknown HTTP method");
}

/// A header line is complete (its start in `line`): notes the body's framing and the upgrade.
static int judge_header(request_screen *s) {
    s->line[s->captured] = 0;
    const char *colon = memchr(s->line, ':', s->captured);
    if (!colon) return 0;
    size_t name_length = (size_t)(colon - s->line);
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t') value++;
    int truncated = s->captured >= sizeof s->line - 1;
    if (name_length == 14 && strncasecmp(s->line, "content-length", 14) == 0) {
        if (s->has_length) return refuse(s, 400, "more than one Content-Length");
        s->has_length = 1;
        uint64_t length = 0;
        const char *p = value;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (length > (UINT64_MAX - 9) / 10) return refuse(s, 413, "request body too large");
            length = length * 10 + (uint64_t)(*p - '0');
        }
        while (*p == ' ' || *p == '\t') p++;
        if (p == value || *p || truncated) return refuse(s, 400, "malformed Content-Length");
        s->length = length;
    } else if (name_length == 17 && strncasecmp(s->line, "transfer-encoding", 17) == 0) {
        // Only "chunked" (last, as HTTP/1.1 requires) is read; anything else cannot be framed.
        size_t length = strlen(value);
        while (length && (value[length - 1] == ' ' || value[length - 1] == '\t')) length--;
        if (truncated || length < 7 || strncasecmp(value + length - 7, "chunked", 7) != 0)
            return refuse(s, 501, "only Transfer-Encoding: chunked is supported");
        s->chunked = 1;
    } else if (name_length == 7 && strncasecmp(s->line, "upgrade", 7) == 0) {
        s->upgrade = 1;
    }
    return 0;
}

/// The head's blank line: the body's framing decides where the next request starts.
static int end_head(request_screen *s) {
    s->requests++;
    if (s->upgrade) return stop(s);  // WebSocket frames follow (or the upgrade is refused and the connection closed)
    if (s->has_length && s->chunked) return refuse(s, 400, "both Content-Length and Transfer-Encoding");
    if (s->chunked && (strcmp(s->method, "GET") == 0 || strcmp(s->method, "HEAD") == 0)) return stop(s);  // not read as a body
    int needs_body = strcmp(s->method, "POST") == 0 || strcmp(s->method, "PUT") == 0 || strcmp(s->method, "PATCH") == 0;
    if (needs_body && !s->has_length && !s->chunked)
        return refuse(s, 411, "Content-Length required (or Transfer-Encoding: chunked)");
    if (s->has_length && s->max_body && s->length > s->max_body) return refuse(s, 413, "request body too large");
    if (s->chunked) {
        next_request(s);
        s->phase = REQUEST_SCREEN_CHUNK_SIZE;
        return 0;
    }
    if (s->has_length && s->length) {
        uint64_t length = s->length;
        next_request(s);
        s->body_left = length;
        s->phase = REQUEST_SCREEN_BODY;
        return 0;
    }
    next_request(s);
    return 0;
}

static int feed_one(request_screen *s, uint8_t c) {
    switch (s->phase) {
    case REQUEST_SCREEN_CHUNK_SIZE:
        // hex digits, then optional extensions up to CRLF; `escape` marks "past the digits"
        if (c == '\n') {
            if (!s->crlf || !s->escape) return stop(s);  // no digits, or no CR: not framing we follow
            s->crlf = 0;
            s->escape = 0;
            s->phase = s->body_left ? REQUEST_SCREEN_CHUNK_DATA : REQUEST_SCREEN_TRAILER;
            s->line_bytes = 0;
            return 0;
        }
        s->crlf = c == '\r';
        if (c == '\r') return 0;
        if (is_hex(c) && s->escape < 2) {
            if (s->body_left >> 56) return stop(s);
            s->body_left = (s->body_left << 4) | (uint64_t)hex_value(c);
            s->escape = 1;
            return 0;
        }
        if (!s->escape) return stop(s);
        s->escape = 2;  // an extension: skipped
        if (++s->line_bytes > REQUEST_SCREEN_MAX_HEADER_LINE) return stop(s);
        return 0;
    case REQUEST_SCREEN_CHUNK_END:
        if (c == '\r' && !s->crlf) {
            s->crlf = 1;
            return 0;
        }
        if (c == '\n' && s->crlf) {
            s->crlf = 0;
            s->phase = REQUEST_SCREEN_CHUNK_SIZE;
            return 0;
        }
        return stop(s);
    case REQUEST_SCREEN_TRAILER:
        if (c == '\r') return 0;
        if (c == '\n') {
            if (s->line_bytes == 0) {  // the blank line: the body has ended
                next_request(s);
                return 0;
            }
            s->line_bytes = 0;
            return 0;
        }
        if (++s->line_bytes > REQUEST_SCREEN_MAX_HEADER_LINE) return stop(s);
        return 0;
    default:
        break;
    }
    if (++s->head_bytes > REQUEST_SCREEN_MAX_HEAD) return refuse(s, 431, "request headers too large");
    switch (s->phase) {
    case REQUEST_SCREEN_METHOD:
        if ((c == '\r' || c == '\n') && !s->method_length && s->requests) {
            s->head_bytes--;  // a stray line end between requests (allowed, RFC 9112 2.2)
            return 0;
        }
        if (c == ' ') {
            if (!s->method_length) return refuse(s, 400, "malformed request line");
            if (judge_method(s)) return s->status;
            s->phase = REQUEST_SCREEN_TARGET;
            return 0;
        }
        if (c < 'A' || c > 'Z' || s->method_length + 1 >= sizeof s->method) {
            // Not a method of upper-case letters: a token we do not know, or not HTTP at all.
            return (c > ' ' && c < 0x7f && c != '\r' && c != '\n') ? refuse(s, 501, "unknown HTTP method")
                                                                  : refuse(s, 400, "malformed request line");
        }
        s->method[s->method_length++] = (char)c;
        return 0;
    case REQUEST_SCREEN_TARGET:
        if (c == ' ') {
            if (s->escape) return refuse(s, 400, "malformed percent-encoding in the URL");
            if (!s->target_bytes) return refuse(s, 400, "malformed request line");
            s->phase = REQUEST_SCREEN_VERSION;
            return 0;
        }
        if (++s->target_bytes > REQUEST_SCREEN_MAX_TARGET) return refuse(s, 414, "URL too long");
        if (c < 0x21 || c == 0x7f) return refuse(s, 400, "malformed request line");
        if (s->escape) {
            if (!is_hex(c)) return refuse(s, 400, "malformed percent-encoding in the URL");
            if (s->escape == 2) s->escape_zero = c == '0';
            else if (s->escape_zero && c == '0') return refuse(s, 400, "%00 (NUL) in the URL");
            s->escape--;
        } else if (c == '%') {
            s->escape = 2;
        }
        return 0;
    case REQUEST_SCREEN_VERSION:
        if (c == '\r') return 0;
        if (c == '\n') {
            if (s->version_length != 8 || memcmp(s->version, "HTTP/1.", 7) != 0 || (s->version[7] != '0' && s->version[7] != '1'))
                return refuse(s, 505, "HTTP version not supported: use HTTP/1.1");
            s->phase = REQUEST_SCREEN_HEADERS;
            s->crlf = 2;  // the request line's end: a blank line next ends the head
            return 0;
        }
        if (s->version_length >= sizeof s->version) return refuse(s, 505, "HTTP version not supported: use HTTP/1.1");
        s->version[s->version_length++] = (char)c;
        return 0;
    case REQUEST_SCREEN_HEADERS:
        if (c == '\r') {
            s->crlf = s->crlf == 2 ? 3 : 1;
            return 0;
        }
        if (c == '\n') {
            if (s->crlf == 3) return end_head(s);  // the blank line
            s->crlf = 2;
            if (++s->headers > REQUEST_SCREEN_MAX_HEADERS) return refuse(s, 431, "too many request headers");
            if (judge_header(s)) return s->status;
            s->line_bytes = 0;
            s->captured = 0;
            return 0;
        }
        s->crlf = 0;
        if (++s->line_bytes > REQUEST_SCREEN_MAX_HEADER_LINE) return refuse(s, 431, "request header too large");
        if (s->captured < sizeof s->line - 1) s->line[s->captured++] = (char)c;
        return 0;
    default:
        return s->status;
    }
}

int request_screen_feed(request_screen *screen, const uint8_t *bytes, size_t count) {
    request_screen_feed_request(screen, bytes, count, 0);
    return screen->status;
}

size_t request_screen_feed_request(request_screen *screen, const uint8_t *bytes, size_t count, int stop_at_end) {
    size_t i = 0;
    uint64_t start = screen->request_start;
    while (i < count && screen->phase != REQUEST_SCREEN_DONE && !(stop_at_end && screen->request_start != start)) {
        if (screen->phase == REQUEST_SCREEN_BODY || screen->phase == REQUEST_SCREEN_CHUNK_DATA) {
            size_t left = count - i;
            size_t skip = screen->body_left < left ? (size_t)screen->body_left : left;
            screen->body_left -= skip;
            screen->fed += skip;
            i += skip;
            if (screen->body_left == 0) {
                if (screen->phase == REQUEST_SCREEN_BODY) {
                    next_request(screen);
                } else {
                    screen->phase = REQUEST_SCREEN_CHUNK_END;
                    screen->crlf = 0;
                }
            }
            continue;
        }
        screen->fed++;
        feed_one(screen, bytes[i++]);
    }
    return i;
}

static const char *reason_phrase(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

size_t request_screen_response(const request_screen *screen, char *buffer, size_t capacity) {
    if (!screen->status || !screen->message) return 0;
    char body[256];
    int length = snprintf(body, sizeof body, "{\"detail\":\"%s\"}\n", screen->message);  // static messages: no escaping needed
    if (length <= 0 || (size_t)length >= sizeof body) return 0;
    const char *allow = screen->status == 405 ? "Allow: GET, HEAD, POST, DELETE, OPTIONS\r\n" : "";
    int total = snprintf(buffer, capacity,
                         "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n%s",
                         screen->status, reason_phrase(screen->status), length, allow, body);
    return total > 0 && (size_t)total < capacity ? (size_t)total : 0;
}
