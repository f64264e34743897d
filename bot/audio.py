"""Voice notes to 16 kHz, 16-bit, mono PCM, the input every speech-to-text provider here takes.

WeCom delivers AMR-NB (`#!AMR` files), Feishu Ogg/Opus. Decoding uses PyAV's bundled FFmpeg, so no system
package is needed; AMR goes through libopencore_amrnb because FFmpeg's own amrnb decoder rejects the DTX
frames real phones send.
"""

from __future__ import annotations

import io

SAMPLE_RATE = 16_000
AMR_MAGIC = b"#!AMR\n"


class AudioError(Exception):
    """The audio could not be decoded (unknown format, corrupt data, or PyAV missing)."""


def available() -> bool:
    """Whether a decoder is installed (the `voice` extra); start-up warns when it is not."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def to_pcm16k(data: bytes) -> bytes:
    """Decode an AMR-NB or Ogg/Opus (or any FFmpeg-readable) file to 16 kHz s16le mono PCM."""
    try:
        import av
        from av.audio.resampler import AudioResampler
    except ImportError as exc:
        raise AudioError("PyAV is not installed: pip install 'salesbot[voice]'") from exc

    resampler = AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    out = bytearray()

    def take(frames) -> None:
        for frame in frames:
            for resampled in resampler.resample(frame):
                out.extend(bytes(resampled.planes[0])[: resampled.samples * 2])

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.audio[0]
            decoder = stream.codec_context
            if data.startswith(AMR_MAGIC):
                decoder = av.CodecContext.create("libopencore_amrnb", "r")
                decoder.sample_rate, decoder.layout = 8000, "mono"
            for packet in container.demux(stream):
                if packet.size:
                    take(decoder.decode(packet))
            take(decoder.decode(None))
        take([None])  # flush the resampler
    except (av.error.FFmpegError, IndexError, ValueError) as exc:
        raise AudioError(f"cannot decode audio: {exc}") from exc
    if not out:
        raise AudioError("audio contains no samples")
    return bytes(out)
