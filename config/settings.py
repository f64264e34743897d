"""Settings from SALESBOT_* environment variables (and a .env file), read once and passed in.

Nothing else in the project reads os.environ: create_app, the worker and the CLI take a Settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

PREFIX = "SALESBOT_"
DEFAULT_DATABASE_URL = "sqlite:///salesbot.db"
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
DEFAULT_FEISHU_API_BASE = "https://open.feishu.cn"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_WECOM_WS_URL = "wss://openws.work.weixin.qq.com"
# How events arrive: `webhook` (Feishu/WeCom call our public URL) or `ws` (we hold a long connection out).
FEISHU_MODES = ("webhook", "ws")
WECOM_MODES = ("app", "ws")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable. The CLI exits non-zero."""


@dataclass(frozen=True)
class WecomSettings:
    corp_id: str
    agent_id: int
    secret: str
    token: str
    aes_key: str
    api_base: str = DEFAULT_WECOM_API_BASE
    # How far a callback's timestamp may be from our clock before it is refused as stale or replayed.
    max_clock_skew: int = 300


@dataclass(frozen=True)
class FeishuSettings:
    app_id: str
    app_secret: str
    verification_token: str
    encrypt_key: str
    api_base: str = DEFAULT_FEISHU_API_BASE
    # `ws`: events and card callbacks arrive over lark-oapi's long connection, held by a worker.
    mode: str = "webhook"

    @property
    def long_connection(self) -> bool:
        return self.mode == "ws"


@dataclass(frozen=True)
class WecomBotSettings:
    """The WeCom 智能机器人 (AI bot) in long-connection mode: its Bot ID and Secret, no public URL."""

    bot_id: str
    secret: str
    ws_url: str = DEFAULT_WECOM_WS_URL


@dataclass(frozen=True)
class AsrSettings:
    url: str
    api_key: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible chat completions endpoint that reads notes (optional)."""

    url: str
    model: str
    api_key: str
    timeout: float = 3.0


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"
    wecom: WecomSettings | None = None
    feishu: FeishuSettings | None = None
    # SALESBOT_WECOM_MODE=ws: the AI bot's long connection is the `wecom` channel instead of the app.
    wecom_bot: WecomBotSettings | None = None
    asr: AsrSettings | None = None
    llm: LlmSettings | None = None
    # Where the deployment keeps files of its own, such as the reader model trained on its corrections.
    data_dir: Path = Path(".")
    # Which directory departments are sales (ids or names; their sub-departments too). Empty: all of them.
    org_roots: tuple[str, ...] = ()
    # The cockpit: the base of its links, and the key that signs links and session cookies (None: one is made
    # once and kept in the database, so every web process and restart agrees).
    public_url: str = DEFAULT_PUBLIC_URL
    secret_key: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def platforms(self) -> list[str]:
        """Names of the chat platforms whose credentials are set."""
        enabled = {"wecom": self.wecom is not None or self.wecom_bot is not None, "feishu": self.feishu is not None}
        return [name for name, on in enabled.items() if on]


def _env(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(PREFIX + name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _group(values: Mapping[str, str], names: list[str]) -> dict[str, str] | None:
    """All of a platform's variables, or None when none is set; a partial set is a ConfigError."""
    found = {name: _env(values, name) for name in names}
    present = [n for n, v in found.items() if v is not None]
    if not present:
        return None
    missing = [PREFIX + n for n, v in found.items() if v is None]
    if missing:
        raise ConfigError(
            f"{PREFIX}{present[0]} is set but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing: set all of them or none"
        )
    return {n: v for n, v in found.items() if v is not None}


_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")


def _shown(url: str) -> str:
    """`url` as an error message may show it: a password in it is replaced by ***."""
    return _PASSWORD.sub(r"\1***@", url)


def _url(values: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = _env(values, name) or default
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ConfigError(f"{PREFIX}{name}={_shown(value)!r} is not a URL starting with {' or '.join(schemes)}")
    return value


def _seconds(values: Mapping[str, str], name: str, default: int) -> int:
    value = _env(values, name)
    if value is None:
        return default
    if not value.isdigit() or int(value) == 0:
        raise ConfigError(f"{PREFIX}{name} must be a whole number of seconds, got {value!r}")
    return int(value)


def _choice(values: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_env(values, name) or default).lower()
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _wecom_bot(values: Mapping[str, str]) -> WecomBotSettings | None:
    group = _group(values, ["WECOM_BOT_ID", "WECOM_BOT_SECRET"])
    if group is None:
        if _env(values, "WECOM_MODE") == "ws":
            raise ConfigError(f"{PREFIX}WECOM_MODE=ws needs {PREFIX}WECOM_BOT_ID and {PREFIX}WECOM_BOT_SECRET")
        return None
    return WecomBotSettings(
        bot_id=group["WECOM_BOT_ID"],
        secret=group["WECOM_BOT_SECRET"],
        ws_url=_url(values, "WECOM_WS_URL", DEFAULT_WECOM_WS_URL, ("ws", "wss")),
    )


def _database_url(values: Mapping[str, str]) -> str:
    value = _env(values, "DATABASE_URL") or DEFAULT_DATABASE_URL
    scheme = value.split(":", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(
            f"{PREFIX}DATABASE_URL={_shown(value)!r}: use sqlite:///path.db or postgresql+psycopg://user@host/db"
        )
    if scheme == "postgresql":
        value = "postgresql+psycopg" + value[len("postgresql") :]
    return value


def load(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
    """Read settings from the environment, with a .env file (if present) underneath it.

    Raises ConfigError naming the first bad or missing variable.
    """
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    timezone = _env(values, "TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{PREFIX}TIMEZONE={timezone!r} is not a known time zone") from exc

    redis_url = None
    if _env(values, "REDIS_URL"):
        redis_url = _url(values, "REDIS_URL", "", ("redis", "rediss", "unix"))

    wecom = None
    group = _group(values, ["WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY"])
    if group:
        if not group["WECOM_AGENT_ID"].isdigit():
            raise ConfigError(f"{PREFIX}WECOM_AGENT_ID must be a number, got {group['WECOM_AGENT_ID']!r}")
        if len(group["WECOM_AES_KEY"]) != 43:
            raise ConfigError(f"{PREFIX}WECOM_AES_KEY must be the 43-character EncodingAESKey")
        wecom = WecomSettings(
            corp_id=group["WECOM_CORP_ID"],
            agent_id=int(group["WECOM_AGENT_ID"]),
            secret=group["WECOM_SECRET"],
            token=group["WECOM_TOKEN"],
            aes_key=group["WECOM_AES_KEY"],
            api_base=_url(values, "WECOM_API_BASE", DEFAULT_WECOM_API_BASE, ("http", "https")),
            max_clock_skew=_seconds(values, "WECOM_MAX_CLOCK_SKEW", 300),
        )

    wecom_bot = _wecom_bot(values)
    if wecom_bot is not None and _choice(values, "WECOM_MODE", WECOM_MODES, "app" if wecom else "ws") == "ws":
        wecom = None  # the AI bot answers on the `wecom` channel; the app's variables are not used
    else:
        wecom_bot = None

    feishu = None
    mode = _choice(values, "FEISHU_MODE", FEISHU_MODES, "webhook")
    # Over the long connection nothing is signed with the verification token: the app id and secret suffice.
    names = ["FEISHU_APP_ID", "FEISHU_APP_SECRET"] + (["FEISHU_VERIFICATION_TOKEN"] if mode == "webhook" else [])
    group = _group(values, names)
    if group:
        feishu = FeishuSettings(
            app_id=group["FEISHU_APP_ID"],
            app_secret=group["FEISHU_APP_SECRET"],
            verification_token=_env(values, "FEISHU_VERIFICATION_TOKEN") or "",
            encrypt_key=_env(values, "FEISHU_ENCRYPT_KEY") or "",
            api_base=_url(values, "FEISHU_API_BASE", DEFAULT_FEISHU_API_BASE, ("http", "https")),
            mode=mode,
        )

    asr = None
    if _env(values, "ASR_URL"):
        asr = AsrSettings(
            url=_url(values, "ASR_URL", "", ("http", "https")).rstrip("/"),
            api_key=_env(values, "ASR_API_KEY"),
            model=_env(values, "ASR_MODEL"),
        )

    llm = None
    group = _group(values, ["LLM_URL", "LLM_MODEL", "LLM_API_KEY"])
    if group:
        llm = LlmSettings(
            url=_url(values, "LLM_URL", "", ("http", "https")).rstrip("/"),
            model=group["LLM_MODEL"],
            api_key=group["LLM_API_KEY"],
        )

    return Settings(
        database_url=_database_url(values),
        redis_url=redis_url,
        timezone=timezone,
        wecom=wecom,
        feishu=feishu,
        wecom_bot=wecom_bot,
        asr=asr,
        llm=llm,
        data_dir=Path(_env(values, "DATA_DIR") or "."),
        org_roots=tuple(root.strip() for root in (_env(values, "ORG_ROOTS") or "").split(",") if root.strip()),
        public_url=_url(values, "PUBLIC_URL", DEFAULT_PUBLIC_URL, ("http", "https")).rstrip("/"),
        secret_key=_env(values, "SECRET_KEY"),
    )
