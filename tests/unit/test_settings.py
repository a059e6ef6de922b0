"""Settings are checked when made: bad values name their variable, unknown ones are refused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sendwell.config import Settings
from sendwell.config_values import SettingsError
from sendwell.domain.retry import DomainLimit


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SENDWELL_WORKERS": "two"}, "SENDWELL_WORKERS='two' is not a whole number"),
        ({"SENDWELL_RETRY_BASE_SECONDS": "soon"}, "SENDWELL_RETRY_BASE_SECONDS='soon' is not a"),
        ({"SENDWELL_RETRY_BASE_SECONDS": "nan"}, "is not a finite number"),
        ({"SENDWELL_TRACK_REST_SENDS": "flase"}, "SENDWELL_TRACK_REST_SENDS='flase' is not a bool"),
        (
            {"SENDWELL_WORKRES": "2"},
            "SENDWELL_WORKRES is not a Sendwell setting; did you mean SENDWELL_WORKERS?",
        ),
        ({"SENDWELL_FROBNICATE": "1"}, "SENDWELL_FROBNICATE is not a Sendwell setting"),
        ({"SENDWELL_CHUNK_SIZE": "0"}, "SENDWELL_CHUNK_SIZE=0 is out of range"),
        ({"SENDWELL_WORKER_NICE": "20"}, "SENDWELL_WORKER_NICE=20 is out of range"),
        ({"SENDWELL_API_THREADS": "-1"}, "SENDWELL_API_THREADS=-1 is out of range"),
        ({"SENDWELL_SYSTEM_UTC_OFFSET_MINUTES": "-9000"}, "is out of range"),
        ({"SENDWELL_DOMAIN_LIMITS": "gmail.com:speed=3"}, "SENDWELL_DOMAIN_LIMITS: unknown"),
        ({"SENDWELL_DOMAIN_LIMITS": "gmail.com:rate=fast"}, "SENDWELL_DOMAIN_LIMITS:"),
        (
            {"SENDWELL_BOUNCE_LISTEN": "2525", "SENDWELL_BOUNCE_DOMAIN": "b.test"},
            "SENDWELL_BOUNCE_LISTEN: listen address '2525' is not host:port",
        ),
        ({"SENDWELL_BOUNCE_LISTEN": "127.0.0.1:2525"}, "needs SENDWELL_BOUNCE_DOMAIN"),
        ({"SENDWELL_TRANSPORT": "smpt://relay:25"}, "SENDWELL_TRANSPORT='smpt://relay:25'"),
        ({"SENDWELL_DATABASE_URL": "mysql://x"}, "SENDWELL_DATABASE_URL='mysql://x'"),
        ({"SENDWELL_PUBLIC_URL": "localhost:8080"}, "is not an http(s) URL"),
        ({"SENDWELL_SEND_API_ERROR_STATUS": "loud"}, "use documented or semantic"),
        ({"SENDWELL_CONFIG": "/nonexistent/sendwell.conf"}, "SENDWELL_CONFIG='/nonexistent"),
        ({"SENDWELL_BROKER_URL": "amqp://guest@mq//"}, "SENDWELL_BROKER_URL: use redis://"),
        ({"SENDWELL_BROKER_URL": "redis://:pw@host:port/0"}, "SENDWELL_BROKER_URL: use redis://"),
        ({"SENDWELL_RECORD_BATCH_SIZE": "0"}, "SENDWELL_RECORD_BATCH_SIZE=0 is out of range"),
        ({"SENDWELL_SWEEP_SECONDS": "0"}, "SENDWELL_SWEEP_SECONDS=0.0 is out of range"),
    ],
)
def test_a_bad_setting_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


def test_good_values_are_typed_and_structured_ones_parsed_once() -> None:
    settings = Settings.from_env(
        {
            "SENDWELL_WORKERS": " 3 ",
            "SENDWELL_TRACK_REST_SENDS": "off",
            "SENDWELL_RETRY_BASE_SECONDS": "1.5",
            "SENDWELL_DOMAIN_LIMITS": "Gmail.com:rate=10,concurrency=2;yahoo.com:rate=5",
            "SENDWELL_BOUNCE_DOMAIN": "bounces.example.test",
            "SENDWELL_BOUNCE_LISTEN": "[::1]:2525",
            "SENDWELL_TEST_POSTGRES_URL": "postgresql://ignored",  # the test suite's own
            "SENDWELL_VENV": ".venv",  # the dev script's
        }
    )
    assert (settings.workers, settings.track_rest_sends, settings.retry_base_seconds) == (
        3,
        False,
        1.5,
    )
    assert settings.limits_by_domain == {
        "gmail.com": DomainLimit(10.0, 2),
        "yahoo.com": DomainLimit(5.0, None),
    }
    assert settings.limits_by_domain is settings.limits_by_domain  # parsed once
    assert settings.bounce_listen_address == ("::1", 2525)


def test_the_config_file_gives_defaults_that_the_environment_overrides(tmp_path) -> None:
    config = tmp_path / "sendwell.conf"
    config.write_text("# comment\nSENDWELL_WORKERS=4\nchunk_size = 250\n")
    settings = Settings.from_env({"SENDWELL_CONFIG": str(config), "SENDWELL_WORKERS": "2"})
    assert (settings.workers, settings.chunk_size) == (2, 250)
    config.write_text("SENDWELL_WORKERS=many\n")
    with pytest.raises(SettingsError, match="SENDWELL_WORKERS='many'"):
        Settings.from_env({"SENDWELL_CONFIG": str(config)})


def test_a_broker_url_is_redis_and_its_password_is_never_repeated() -> None:
    settings = Settings.from_env({"SENDWELL_BROKER_URL": "redis://:s3cret@10.0.0.5:6380/2"})
    assert settings.broker_url == "redis://:s3cret@10.0.0.5:6380/2"
    assert Settings.from_env({"SENDWELL_BROKER_URL": "rediss://cache.example:6380"}).broker_url
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"SENDWELL_BROKER_URL": "redis://:s3cret@host/db"})
    assert "s3cret" not in str(caught.value)


def test_settings_made_in_code_are_checked_too() -> None:
    with pytest.raises(SettingsError, match="SENDWELL_LEASE_SECONDS=0"):
        Settings(lease_seconds=0)


def test_serve_refuses_a_bad_setting_before_it_starts(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SENDWELL_WORKERS": "two"}
    result = subprocess.run(
        [sys.executable, "-m", "sendwell", "serve", "--port", "1"],
        env={**env, "SENDWELL_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SENDWELL_WORKERS='two' is not a whole number" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "s.db").exists()  # nothing was made
