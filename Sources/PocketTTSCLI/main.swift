print("pocket-tts")
