// PocketTTS module.
