#!/usr/bin/env python3
"""The official L3DAS Task 1 recogniser (facebook/wav2vec2-base-960h, greedy CTC decoding)
behind l3das's JSON-lines transcriber protocol.

    pip install torch transformers soundfile
    l3das score --task 1 --submission SUB --truth TEST \
        --transcriber command --asr-command python3 Tools/transcribers/wav2vec2_transcriber.py

Protocol (docs/metrics.md): one JSON request per line on stdin,
    {"id": 7, "audio": "/tmp/.../7.wav", "sample_rate": 16000, "role": "estimate", "item": "..."}
one JSON answer per line on stdout, {"id": 7, "text": "..."} or {"id": 7, "error": "..."}.
Logs go to stderr. Not run in l3das's tests (it needs the model download).
"""
import json
import sys

import soundfile
import torch
from transformers import Wav2Vec2ForCTC, Wav2Vec2Processor

MODEL = "facebook/wav2vec2-base-960h"


def main() -> None:
    processor = Wav2Vec2Processor.from_pretrained(MODEL)
    model = Wav2Vec2ForCTC.from_pretrained(MODEL).eval()
    print(f"loaded {MODEL}", file=sys.stderr, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            audio, rate = soundfile.read(request["audio"], dtype="float32")
            if rate != 16000:
                raise ValueError(f"{MODEL} needs 16 kHz audio, got {rate} Hz")
            inputs = processor(audio, sampling_rate=16000, return_tensors="pt")
            with torch.no_grad():
                logits = model(inputs.input_values).logits
            text = processor.batch_decode(torch.argmax(logits, dim=-1))[0]
            reply = {"id": request["id"], "text": text}
        except Exception as error:  # answer, never die, so the scorer can report the item
            reply = {"id": request["id"], "error": str(error)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
