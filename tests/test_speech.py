"""Speech-to-text: the OpenAI-compatible provider against a fake server on loopback, and who uses which."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import fakeredis
import pytest

from bot.audio import to_pcm16k
from bot.platforms import build_preparers
from bot.speech import OpenAICompatibleRecognizer, SpeechError, build_recognizer
from config.settings import AsrSettings, FeishuSettings, Settings, WecomSettings
from tests.audio_samples import amr_voice
from tests.fake_asr import FakeSpeech

WECOM = WecomSettings(corp_id="ww1", agent_id=1000002, secret="s", token="t", aes_key="k" * 43)
FEISHU = FeishuSettings(app_id="cli_1", app_secret="s", verification_token="t", encrypt_key="")


@pytest.fixture
def speech() -> Iterator[FakeSpeech]:
    server = FakeSpeech(text=" 今天拜访杭州华力机械王总 ").start()
    yield server
    server.stop()


def test_a_voice_note_is_posted_as_16k_wav_and_its_text_returned(speech: FakeSpeech) -> None:
    recognizer = OpenAICompatibleRecognizer(AsrSettings(url=speech.url, api_key="sk-local", model="paraformer-zh"))
    text = recognizer.transcribe(to_pcm16k(amr_voice(1.0)))

    upload = speech.uploads[0]
    with wave.open(io.BytesIO(upload.file)) as wav:
        audio = (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes())
    assert text == "今天拜访杭州华力机械王总"
    assert upload.headers["Authorization"] == "Bearer sk-local"
    assert upload.form == {"model": "paraformer-zh", "language": "zh", "response_format": "json"}
    assert audio[:3] == (16000, 1, 2)
    assert 1.0 <= audio[3] / 16000 < 1.2  # one second spoken, plus the codec's last padded frames


@pytest.mark.parametrize(
    ("status", "message", "transient"),
    [
        (503, "speech service answered 503", True),
        (429, "speech service answered 429", True),
        (400, "speech service refused the audio (400)", False),
    ],
)
def test_a_refused_request_is_transient_only_when_worth_retrying(
    speech: FakeSpeech, status: int, message: str, transient: bool
) -> None:
    speech.statuses.append(status)
    recognizer = OpenAICompatibleRecognizer(AsrSettings(url=speech.url))
    with pytest.raises(SpeechError) as refused:
        recognizer.transcribe(b"\0\0" * 1600)
    assert (str(refused.value), refused.value.transient) == (message, transient)


def test_an_unreachable_service_is_a_transient_failure() -> None:
    closed = FakeSpeech().start()
    url = closed.url
    closed.stop()
    with pytest.raises(SpeechError) as refused:
        OpenAICompatibleRecognizer(AsrSettings(url=url), timeout=2).transcribe(b"\0\0" * 1600)
    assert refused.value.transient


def test_only_an_asr_url_configures_a_provider() -> None:
    assert build_recognizer(Settings()) is None
    assert build_recognizer(Settings(feishu=FEISHU)) is None
    assert isinstance(
        build_recognizer(Settings(asr=AsrSettings(url="http://asr.internal/v1"))), OpenAICompatibleRecognizer
    )


def recognizers(settings: Settings) -> dict[str, str | None]:
    """The speech provider each configured platform's preparer uses, by name."""
    preparers = build_preparers(settings, fakeredis.FakeRedis())
    return {channel: getattr(p.recognizer, "name", None) for channel, p in preparers.items()}


def test_each_platform_transcribes_with_the_configured_provider_or_its_own() -> None:
    both = Settings(wecom=WECOM, feishu=FEISHU)
    assert recognizers(both) == {"wecom": None, "feishu": "feishu"}  # WeCom does not borrow Feishu's
    with_asr = Settings(wecom=WECOM, feishu=FEISHU, asr=AsrSettings(url="http://asr.internal/v1"))
    assert recognizers(with_asr) == {"wecom": "openai-compatible", "feishu": "openai-compatible"}
