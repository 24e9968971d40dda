/*
 * lib/common/error.c — error codes and messages.
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/common.h"

unsigned lmz_version_number(void) {
    return LMZ_VERSION_MAJOR * 10000 + LMZ_VERSION_MINOR * 100 + LMZ_VERSION_PATCH;
}
const char *lmz_version_string(void) { return LMZ_VERSION_STRING; }

unsigned lmz_is_error(size_t code) { return code > (size_t)-(size_t)LMZ_error_maxCode; }

lmz_error_code lmz_get_error_code(size_t code) {
    if (!lmz_is_error(code)) return LMZ_error_none;
    return (lmz_error_code)(0 - code);
}

const char *lmz_error_name(size_t code) {
    switch (lmz_get_error_code(code)) {
    case LMZ_error_none: return "no error";
    case LMZ_error_generic: return "error (generic)";
    case LMZ_error_memory: return "allocation failed";
    case LMZ_error_memory_limit: return "memory limit exceeded";
    case LMZ_error_io: return "read or write error";
    case LMZ_error_parameter: return "parameter out of range";
    case LMZ_error_dst_too_small: return "destination buffer too small";
    case LMZ_error_src_size: return "input truncated or of wrong size";
    case LMZ_error_bad_magic: return "not an lmz frame (unknown magic)";
    case LMZ_error_version: return "unsupported frame format version";
    case LMZ_error_header_checksum: return "frame header damaged (checksum mismatch)";
    case LMZ_error_corrupt: return "corrupted data";
    case LMZ_error_chunk_checksum: return "chunk damaged (checksum mismatch)";
    case LMZ_error_content_checksum: return "content checksum mismatch";
    case LMZ_error_model_mismatch: return "frame was compressed with another model";
    case LMZ_error_model_invalid: return "invalid model file";
    case LMZ_error_unsupported: return "unsupported feature";
    case LMZ_error_dict_invalid: return "invalid dictionary file";
    case LMZ_error_dict_mismatch: return "frame needs another dictionary";
    case LMZ_error_maxCode: break;
    }
    return "unknown error";
}

int lmz_fail(lmz_msg *msg, int code, const char *fmt, ...) {
    if (msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg->text, sizeof msg->text, fmt, ap);
        va_end(ap);
    }
    return -code;
}
