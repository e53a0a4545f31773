// The SpeechRecognition module; see docs/architecture.md.
