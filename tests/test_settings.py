from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import ConfigError, load

WECOM = {
    "SALESBOT_WECOM_CORP_ID": "wx5823bf96d3bd56c7",
    "SALESBOT_WECOM_AGENT_ID": "1000002",
    "SALESBOT_WECOM_SECRET": "s3cret",
    "SALESBOT_WECOM_TOKEN": "QDG6eK",
    "SALESBOT_WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}


def test_nothing_set_gives_the_embedded_default() -> None:
    settings = load({}, env_file=None)
    assert (settings.database_url, settings.redis_url, settings.timezone, settings.platforms) == (
        "sqlite:///salesbot.db",
        None,
        "Asia/Shanghai",
        [],
    )


def test_half_configured_wecom_names_the_missing_variable() -> None:
    env = dict(WECOM)
    del env["SALESBOT_WECOM_TOKEN"]
    with pytest.raises(ConfigError, match="SALESBOT_WECOM_TOKEN is missing"):
        load(env, env_file=None)


def test_fully_configured_wecom_is_enabled_with_default_api_base() -> None:
    settings = load(WECOM, env_file=None)
    assert settings.platforms == ["wecom"]
    assert settings.wecom is not None
    assert (settings.wecom.agent_id, settings.wecom.api_base) == (1000002, "https://qyapi.weixin.qq.com/cgi-bin/")


def test_short_aes_key_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_WECOM_AES_KEY"):
        load({**WECOM, "SALESBOT_WECOM_AES_KEY": "short"}, env_file=None)


def test_unknown_time_zone_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_TIMEZONE='Mars/Olympus'"):
        load({"SALESBOT_TIMEZONE": "Mars/Olympus"}, env_file=None)


def test_unsupported_database_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_DATABASE_URL"):
        load({"SALESBOT_DATABASE_URL": "mysql://root@localhost/x"}, env_file=None)


def test_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    settings = load({"SALESBOT_DATABASE_URL": "postgresql://u@db/crm"}, env_file=None)
    assert settings.database_url == "postgresql+psycopg://u@db/crm"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SALESBOT_TIMEZONE=Asia/Tokyo\nSALESBOT_REDIS_URL=redis://cache:6379/0\n")
    settings = load({"SALESBOT_TIMEZONE": "Asia/Hong_Kong"}, env_file=env_file)
    assert (settings.timezone, settings.redis_url) == ("Asia/Hong_Kong", "redis://cache:6379/0")


def test_feishu_needs_app_id_secret_and_verification_token() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_FEISHU_VERIFICATION_TOKEN"):
        load({"SALESBOT_FEISHU_APP_ID": "cli_a1", "SALESBOT_FEISHU_APP_SECRET": "x"}, env_file=None)


def test_the_wecom_clock_skew_window_is_configurable_and_validated() -> None:
    assert load({**WECOM, "SALESBOT_WECOM_MAX_CLOCK_SKEW": "120"}, env_file=None).wecom.max_clock_skew == 120  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="SALESBOT_WECOM_MAX_CLOCK_SKEW"):
        load({**WECOM, "SALESBOT_WECOM_MAX_CLOCK_SKEW": "5m"}, env_file=None)


# ---------------------------------------------------------------- long-connection modes

FEISHU_APP = {"SALESBOT_FEISHU_APP_ID": "cli_a5f1c2d3e4b5c6d7", "SALESBOT_FEISHU_APP_SECRET": "s3cret"}
WECOM_BOT = {"SALESBOT_WECOM_BOT_ID": "aib-Qm3x9", "SALESBOT_WECOM_BOT_SECRET": "s3cret"}


def test_feishu_ws_mode_needs_only_the_app_id_and_secret() -> None:
    settings = load({**FEISHU_APP, "SALESBOT_FEISHU_MODE": "ws"}, env_file=None)
    assert settings.feishu is not None
    assert (settings.feishu.mode, settings.feishu.long_connection, settings.platforms) == ("ws", True, ["feishu"])


def test_feishu_webhook_mode_is_the_default_and_still_needs_the_verification_token() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_FEISHU_VERIFICATION_TOKEN is missing"):
        load(FEISHU_APP, env_file=None)


def test_an_unknown_feishu_mode_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_FEISHU_MODE must be one of webhook, ws, got 'socket'"):
        load({**FEISHU_APP, "SALESBOT_FEISHU_MODE": "socket"}, env_file=None)


def test_the_wecom_ai_bot_alone_is_the_wecom_platform_over_the_default_endpoint() -> None:
    settings = load(WECOM_BOT, env_file=None)
    assert (settings.wecom, settings.platforms) == (None, ["wecom"])
    assert settings.wecom_bot is not None
    assert (settings.wecom_bot.bot_id, settings.wecom_bot.ws_url) == ("aib-Qm3x9", "wss://openws.work.weixin.qq.com")


def test_with_both_wecom_credential_sets_the_mode_chooses_and_app_is_the_default() -> None:
    assert load({**WECOM, **WECOM_BOT}, env_file=None).wecom_bot is None
    settings = load({**WECOM, **WECOM_BOT, "SALESBOT_WECOM_MODE": "ws"}, env_file=None)
    assert (settings.wecom, settings.wecom_bot is not None) == (None, True)


def test_wecom_ws_mode_without_the_bot_credentials_names_them() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_WECOM_MODE=ws needs SALESBOT_WECOM_BOT_ID"):
        load({**WECOM, "SALESBOT_WECOM_MODE": "ws"}, env_file=None)


def test_half_configured_wecom_bot_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError, match="SALESBOT_WECOM_BOT_SECRET is missing"):
        load({"SALESBOT_WECOM_BOT_ID": "aib-Qm3x9"}, env_file=None)
