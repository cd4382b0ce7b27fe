// request_screen.c: see include/request_screen.h.
#include "request_screen.h"

#include <stdio.h>
#include <string.h>

void request_screen_init(request_screen *screen) {
    memset(screen, 0, sizeof *screen);
    screen->phase = REQUEST_SCREEN_METHOD;
}

static int refuse(request_screen *s, int status, const char *message) {
    s->status = (uint16_t)status;
    s->message = message;
    s->phase = REQUEST_SCREEN_DONE;
    return status;
}

static int is_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

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

static int feed_one(request_screen *s, uint8_t c) {
    if (++s->head_bytes > REQUEST_SCREEN_MAX_HEAD) return refuse(s, 431, "request headers too large");
    switch (s->phase) {
    case REQUEST_SCREEN_METHOD:
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
            if (s->crlf == 3) {  // the blank line
                s->phase = REQUEST_SCREEN_DONE;
                return 0;
            }
            s->crlf = 2;
            if (++s->headers > REQUEST_SCREEN_MAX_HEADERS) return refuse(s, 431, "too many request headers");
            s->line_bytes = 0;
            return 0;
        }
        s->crlf = 0;
        if (++s->line_bytes > REQUEST_SCREEN_MAX_HEADER_LINE) return refuse(s, 431, "request header too large");
        return 0;
    default:
        return s->status;
    }
}

int request_screen_feed(request_screen *screen, const uint8_t *bytes, size_t count) {
    for (size_t i = 0; i < count && screen->phase != REQUEST_SCREEN_DONE; i++) feed_one(screen, bytes[i]);
    return screen->status;
}

static const char *reason_phrase(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 405: return "Method Not Allowed";
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
