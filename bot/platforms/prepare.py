"""The one worker-side preparation of a message, for every platform: the sender's display name from the
platform's directory, and a voice note downloaded, decoded and transcribed.

A platform gives two hooks: `download(message)` (the voice note's bytes) and `display_name(external_id)` ("" when
the directory does not disclose it). Both raise SendError; its `permanent` flag sorts what happens next:

| failure                                              | what the person gets                          |
|------------------------------------------------------|-----------------------------------------------|
| transient (timeout, 5xx, rate limit, token refresh) | the job is retried (SendError raised)          |
| permanent download failure (gone, expired, 4xx)      | at once: the message stays a voice note, which |
| undecodable audio, speech service refusing it, no    |   the conversation answers with a request to   |
|   speech provider, nothing heard                     |   type                                         |
| a name that cannot be read                           | no name (the id); a permanent refusal is       |
|                                                      |   remembered for an hour, a name for a day     |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import redis

from bot import audio
from bot.platforms.base import InboundMessage, MessageKind, SendError
from bot.speech import SpeechError, SpeechRecognizer
from storage.identity import IdentityKey

log = logging.getLogger(__name__)

NAME_TTL, NO_NAME_TTL = 24 * 3600, 3600


class MessagePreparer:
    """Prepares `platform`'s messages with its `download` and `display_name` hooks and a speech recognizer."""

    def __init__(
        self,
        platform: str,
        connection: redis.Redis,
        recognizer: SpeechRecognizer | None,
        *,
        download: Callable[[InboundMessage], bytes],
        display_name: Callable[[str], str],
    ) -> None:
        self.platform = platform
        self.connection = connection
        self.recognizer = recognizer
        self.download = download
        self.display_name = display_name
        if recognizer is None:
            log.warning(
                "%s: no speech-to-text provider (set SALESBOT_ASR_URL): voice notes get a request to type", platform
            )
        elif not audio.available():
            log.warning(
                "%s: PyAV is not installed (pip install 'salesbot[voice]'): voice notes cannot be decoded", platform
            )

    def prepare(self, message: InboundMessage) -> InboundMessage:
        if message.sender_name is None:
            message = replace(message, sender_name=self._name(IdentityKey.parse(message.sender).external_id))
        if message.kind == MessageKind.VOICE:
            message = self._transcribe(message)
        return message

    def _name(self, external_id: str) -> str | None:
        key = f"salesbot:{self.platform}:name:{external_id}"
        cached = self.connection.get(key)
        if cached is not None:
            return cached.decode() or None
        try:
            name = self.display_name(external_id).strip()
        except SendError as exc:
            log.info("%s: no name for %s: %s", self.platform, external_id, exc)
            if not exc.permanent:
                return None
            name = ""
        self.connection.set(key, name, ex=NAME_TTL if name else NO_NAME_TTL)
        return name or None

    def _transcribe(self, message: InboundMessage) -> InboundMessage:
        """The voice note as text, or unchanged (still a voice note) when it cannot be; SendError to retry."""
        if self.recognizer is None:
            return message
        what = f"{self.platform} voice from {message.sender} at {message.received_at:%H:%M:%S}"
        try:
            data = self.download(message)
        except SendError as exc:
            if not exc.permanent:
                raise
            log.warning("%s cannot be downloaded: %s", what, exc)
            return message
        try:
            text = self.recognizer.transcribe(audio.to_pcm16k(data))
        except audio.AudioError as exc:
            log.warning("%s cannot be decoded: %s", what, exc)
            return message
        except SpeechError as exc:
            if exc.transient:
                raise SendError(f"speech-to-text ({self.recognizer.name}): {exc}") from exc
            log.warning("%s not transcribed by %s: %s", what, self.recognizer.name, exc)
            return message
        if not text:
            return message
        return replace(message, kind=MessageKind.TEXT, text=text, extra={**message.extra, "transcript": True})
