"""Speech-to-text behind one small interface: 16 kHz mono PCM in, Chinese text out.

Providers: any OpenAI-compatible `/audio/transcriptions` server (SALESBOT_ASR_URL: a self-hosted FunASR or
whisper) for every platform; without it, each platform's own recognition if it has one (Feishu's
`speech_to_text/file_recognize`, in its adapter), or none — then the bot asks the rep to type or use the
phone keyboard's voice input.
"""

from __future__ import annotations

import io
import wave
from typing import Protocol

import requests

from bot.audio import SAMPLE_RATE
from config.settings import AsrSettings, Settings


class SpeechError(Exception):
    """Transcription failed. `transient` failures (timeouts, 5xx) are worth retrying."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class SpeechRecognizer(Protocol):
    name: str

    def transcribe(self, pcm: bytes) -> str:
        """Text spoken in `pcm` (16 kHz, s16le, mono); raises SpeechError."""
        ...


def wav_bytes(pcm: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


class OpenAICompatibleRecognizer:
    """POST {SALESBOT_ASR_URL}/audio/transcriptions with a WAV file, as the OpenAI API defines it."""

    name = "openai-compatible"

    def __init__(self, settings: AsrSettings, *, timeout: float = 30.0) -> None:
        self.url = f"{settings.url}/audio/transcriptions"
        self.headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.model = settings.model or "whisper-1"
        self.timeout = timeout

    def transcribe(self, pcm: bytes) -> str:
        try:
            response = requests.post(
                self.url,
                headers=self.headers,
                files={"file": ("voice.wav", wav_bytes(pcm), "audio/wav")},
                data={"model": self.model, "language": "zh", "response_format": "json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SpeechError(f"speech service unreachable: {type(exc).__name__}", transient=True) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise SpeechError(f"speech service answered {response.status_code}", transient=True)
        if response.status_code != 200:
            raise SpeechError(f"speech service refused the audio ({response.status_code})")
        try:
            return str(response.json()["text"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise SpeechError("speech service answered without a `text` field") from exc


def build_recognizer(settings: Settings) -> SpeechRecognizer | None:
    """The configured provider (SALESBOT_ASR_URL), or None: a platform then falls back on its own, if any."""
    return OpenAICompatibleRecognizer(settings.asr) if settings.asr is not None else None
