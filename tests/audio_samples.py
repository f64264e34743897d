"""Small voice files made in-process with PyAV's encoders: AMR-NB (WeCom) and Ogg/Opus (Feishu)."""

from __future__ import annotations

import io
import math
import struct

import av


def tone(seconds: float, rate: int) -> list[int]:
    return [int(0.3 * 32767 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))]


def encode(samples: list[int], rate: int, *, container: str, codec: str, bit_rate: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        frame_size = stream.codec_context.frame_size or 960
        for start in range(0, len(samples), frame_size):
            chunk = samples[start : start + frame_size]
            chunk = chunk + [0] * (frame_size - len(chunk))
            frame = av.AudioFrame(format="s16", layout="mono", samples=frame_size)
            frame.planes[0].update(struct.pack(f"<{frame_size}h", *chunk))
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


def amr_voice(seconds: float = 1.0) -> bytes:
    """An AMR-NB file (`#!AMR` header), as WeCom's media/get returns for a voice message."""
    return encode(tone(seconds, 8000), 8000, container="amr", codec="libopencore_amrnb", bit_rate=12200)


def opus_voice(seconds: float = 1.0) -> bytes:
    """An Ogg/Opus file, as Feishu's message resource API returns for an audio message."""
    return encode(tone(seconds, 48000), 48000, container="ogg", codec="libopus")
