// TTSEngine module.
