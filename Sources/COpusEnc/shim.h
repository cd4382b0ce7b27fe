#include <opusenc.h>

// ope_encoder_ctl is variadic and its requests are macros: Swift can call neither, so each
// request the wrapper needs gets one inline helper.

static inline int copusenc_set_bitrate(OggOpusEnc *enc, opus_int32 bitsPerSecond) {
    return ope_encoder_ctl(enc, OPUS_SET_BITRATE(bitsPerSecond));
}

static inline int copusenc_set_muxing_delay(OggOpusEnc *enc, opus_int32 samples48k) {
    return ope_encoder_ctl(enc, OPE_SET_MUXING_DELAY(samples48k));
}

static inline int copusenc_set_decision_delay(OggOpusEnc *enc, opus_int32 samples48k) {
    return ope_encoder_ctl(enc, OPE_SET_DECISION_DELAY(samples48k));
}

static inline int copusenc_set_serialno(OggOpusEnc *enc, opus_int32 serialno) {
    return ope_encoder_ctl(enc, OPE_SET_SERIALNO(serialno));
}
