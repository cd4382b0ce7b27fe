// TTSServer module.
